/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench.h - header-only helpers shared by the micro-benchmarks in
 * tools/bench/: clocks, CPU pinning, option parsing, repetition
 * statistics and latency percentiles.
 *
 * Every benchmark prints a table for people, then the same figures as CSV
 * (a header line, then one line per row) after a blank line, so that a
 * script finds the CSV as "everything after the line that starts with the
 * CSV header".  -o FILE writes the CSV to FILE as well.
 */
#ifndef _BATON_TOOLS_BENCH_H
#define _BATON_TOOLS_BENCH_H

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Monotonic time in nanoseconds (vDSO: ~20 ns, no system call). */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Online CPUs, at least 1. */
static inline int bench_nr_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/*
 * bench_pin_self - move the calling thread to @cpu (modulo the online
 * CPUs); a negative @cpu leaves it where the scheduler puts it.
 * Return: 0 or -errno.
 */
static inline int bench_pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu % bench_nr_cpus(), &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/*
 * bench_parse_list - parse "1,2,8" or "1-4" (or a mix) into @out
 * @s: the text
 * @out: up to @max values, in the order written
 * Return: the number of values, or -EINVAL.
 */
static inline int bench_parse_list(const char *s, unsigned int *out, int max)
{
	int n = 0;

	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 0), b;

		if (end == s)
			return -EINVAL;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 0);
			if (end == s || b < a)
				return -EINVAL;
		}
		for (; a <= b; a++) {
			if (n == max || a > 100000000ul)
				return -EINVAL;
			out[n++] = (unsigned int)a;
		}
		if (*end == ',')
			end++;
		else if (*end)
			return -EINVAL;
		s = end;
	}
	return n ? n : -EINVAL;
}

/* Parse seconds: a positive number up to an hour.  Return: 0 or -EINVAL. */
/*
 * The bit of the one implementation named @name in @names[0..@nr), for a
 * -m/-i option that selects a single row; 0 when no name matches.
 */
static inline unsigned int bench_pick(const char *name,
				      const char *const *names, int nr)
{
	int k;

	for (k = 0; k < nr; k++)
		if (!strcmp(name, names[k]))
			return 1u << k;
	return 0;
}

static inline int bench_parse_secs(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v > 0) || v > 3600)
		return -EINVAL;
	*out = v;
	return 0;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static inline int bench_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * struct bench_spread - min, median and max of the repetitions of one
 * measurement: the median is the figure, min..max its spread.
 */
struct bench_spread {
	double min, median, max;
};

/* Sorts @v in place.  Needs n >= 1. */
static inline struct bench_spread bench_spread_of(double *v, int n)
{
	struct bench_spread s;

	qsort(v, n, sizeof(*v), bench_cmp_double);
	s.min = v[0];
	s.max = v[n - 1];
	s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

/*
 * struct bench_lat - latency samples of one thread, in nanoseconds
 * @v: up to @cap samples; once full, every other sample is dropped and
 *	only every @stride-th new one is kept, so a long run keeps an even
 *	sample of its whole length in bounded memory
 */
struct bench_lat {
	uint32_t *v;
	size_t n, cap;
	uint64_t stride, seen;
};

static inline int bench_lat_init(struct bench_lat *l, size_t cap)
{
	memset(l, 0, sizeof(*l));
	l->v = malloc(cap * sizeof(*l->v));
	l->cap = cap;
	l->stride = 1;
	return l->v ? 0 : -ENOMEM;
}

static inline void bench_lat_reset(struct bench_lat *l)
{
	l->n = 0;
	l->stride = 1;
	l->seen = 0;
}

static inline void bench_lat_add(struct bench_lat *l, uint64_t ns)
{
	size_t i;

	if (l->seen++ % l->stride)
		return;
	if (l->n == l->cap) {
		for (i = 0; i < l->n / 2; i++)
			l->v[i] = l->v[2 * i];
		l->n /= 2;
		l->stride *= 2;
	}
	l->v[l->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

/* The @p-th percentile (0..100) of @l's samples; sorts them.  0 if none. */
static inline double bench_lat_pct(struct bench_lat *l, double p)
{
	size_t i;

	if (!l->n)
		return 0;
	qsort(l->v, l->n, sizeof(*l->v), bench_cmp_u32);
	i = (size_t)(p / 100.0 * (double)(l->n - 1) + 0.5);
	return l->v[i < l->n ? i : l->n - 1];
}

static inline void bench_lat_free(struct bench_lat *l)
{
	free(l->v);
	l->v = NULL;
}

/* xorshift64*: a fast per-thread pseudo-random sequence; @s must not be 0. */
static inline uint64_t bench_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/*
 * bench_csv_open - the file -o named, or NULL
 * Return: the stream, NULL when @path is NULL; exits on an open failure.
 */
static inline FILE *bench_csv_open(const char *prog, const char *path)
{
	FILE *f;

	if (!path)
		return NULL;
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		exit(1);
	}
	return f;
}

/* Print one CSV line to stdout and, when -o gave one, to @extra. */
static inline __attribute__((format(printf, 2, 3)))
void bench_csv(FILE *extra, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (extra) {
		va_start(ap, fmt);
		vfprintf(extra, fmt, ap);
		va_end(ap);
	}
}

#endif /* _BATON_TOOLS_BENCH_H */
