// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_adapt.c - IO workers that come and go: the worker count changed at
 * run time while clients pipeline requests (no reply lost or reordered),
 * the auto mode activating a worker under load and parking it when the
 * load goes, no CPU used once idle, the workers' thread names, and a
 * kick that reaches a worker after it let its client go (test gates:
 * include/baton/gate.h; this test links the test-gates library).
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <baton/gate.h>
#include "../common/cunit.h"
#include "../common/line_server.h"
#include "../common/sanitizer.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * struct load - clients that pipeline numbered requests and check that the
 * echoes come back complete and in order, driven by one thread until told
 * to stop.
 */
struct load {
	unsigned short port;
	int nr_clients;
	int depth;			/* requests in flight per client */
	_Atomic bool stop;
	_Atomic long replies;
	long errors;
	pthread_t thread;
};

struct load_client {
	int fd;
	long sent, seen;		/* request numbers */
	char in[8192];
	size_t in_len;
};

static int load_send(struct load_client *lc, int idx, long upto)
{
	char buf[4096];
	size_t off = 0;

	while (lc->sent < upto && off + 64 < sizeof(buf))
		off += (size_t)sprintf(buf + off, "c%d-%ld\n", idx, lc->sent++);
	return off ? ls_send(lc->fd, buf) : 0;
}

static void *load_thread(void *arg)
{
	struct load *ld = arg;
	struct load_client *lc = calloc((size_t)ld->nr_clients, sizeof(*lc));
	int ep = epoll_create1(0), i;

	for (i = 0; i < ld->nr_clients; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };

		lc[i].fd = ls_dial(ld->port);
		if (lc[i].fd < 0) {
			ld->errors++;
			goto out;
		}
		epoll_ctl(ep, EPOLL_CTL_ADD, lc[i].fd, &ev);
		load_send(&lc[i], i, ld->depth);
	}
	while (!atomic_load(&ld->stop)) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 100);

		for (i = 0; i < n; i++) {
			int k = (int)evs[i].data.u32;
			struct load_client *c = &lc[k];
			ssize_t r = read(c->fd, c->in + c->in_len,
					 sizeof(c->in) - c->in_len);
			char *nl;

			if (r <= 0) {
				ld->errors++;
				atomic_store(&ld->stop, true);
				break;
			}
			c->in_len += (size_t)r;
			while ((nl = memchr(c->in, '\n', c->in_len))) {
				char want[64];
				size_t l = (size_t)(nl - c->in) + 1;

				sprintf(want, "c%d-%ld\n", k, c->seen++);
				if (l != strlen(want) || memcmp(c->in, want, l))
					ld->errors++;
				memmove(c->in, c->in + l, c->in_len - l);
				c->in_len -= l;
				atomic_fetch_add(&ld->replies, 1);
			}
			load_send(c, k, c->seen + ld->depth);
		}
	}
out:
	for (i = 0; i < ld->nr_clients; i++)
		if (lc[i].fd > 0)
			close(lc[i].fd);
	free(lc);
	close(ep);
	return NULL;
}

static void load_start(struct load *ld, unsigned short port, int clients,
		       int depth)
{
	memset(ld, 0, sizeof(*ld));
	ld->port = port;
	ld->nr_clients = clients;
	ld->depth = depth;
	pthread_create(&ld->thread, NULL, load_thread, ld);
}

static long load_stop(struct load *ld)
{
	atomic_store(&ld->stop, true);
	pthread_join(ld->thread, NULL);
	return ld->errors;
}

/* Send @cmd on @fd and check that the one-line reply is @want. */
static void ask(int fd, const char *cmd, const char *want)
{
	char buf[64] = "";

	CU_ASSERT(ls_send(fd, cmd) == 0);
	CU_ASSERT(ls_read_line(fd, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, want);
}

/* Send @cmd on a connection of its own and check the reply. */
static void control(unsigned short port, const char *cmd, const char *want)
{
	int fd = ls_dial(port);

	CU_ASSERT_FATAL(fd >= 0);
	ask(fd, cmd, want);
	close(fd);
}

/*
 * The worker count changes under load, back and forth between 0, 1, 2,
 * 3 and auto: every client keeps getting every reply, in order.
 */
static void test_change_under_load(void)
{
	static const char *const steps[] = {
		"WORKERS 2\n", "WORKERS 0\n", "WORKERS 3\n", "WORKERS 1\n",
		"WORKERS -2\n", "WORKERS 2\n", "WORKERS 0\n",
	};
	struct line_server ls = { 0 };
	struct load ld;
	unsigned int i, rounds = SELFTEST_SCALE(4);
	long before;

	ls.opts.max_io_workers = 3;
	CU_ASSERT_EQUAL_FATAL(ls_start(&ls, 1), 0);
	load_start(&ld, ls.port, 16, 8);
	for (i = 0; i < rounds * ARRAY_SIZE(steps); i++) {
		before = atomic_load(&ld.replies);
		control(ls.port, steps[i % ARRAY_SIZE(steps)], "WORKERS 0");
		/* Every client is served after the change: replies go on. */
		CU_ASSERT(ls_wait_until(atomic_load(&ld.replies) > before + 500,
					20000));
	}
	control(ls.port, "WORKERS 4\n", "WORKERS -22");
	CU_ASSERT_EQUAL(load_stop(&ld), 0);
	CU_ASSERT(atomic_load(&ld.replies) > 0);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

/* CPU time this process used so far, in ms. */
static long process_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Whether a thread of this process is named @name. */
static bool thread_named(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	bool found = false;

	while (d && (e = readdir(d)) && !found) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		if (f)
			fclose(f);
		found = !strcmp(comm, name);
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * Auto mode: main serves alone while idle, a worker is activated under a
 * load that keeps main busy (each request costs it 20 us of CPU) with many
 * ready clients, and parked again once the load goes; idle, the process
 * uses no CPU to speak of.
 */
static void test_auto_activates_and_parks(void)
{
	struct line_server ls = { 0 };
	struct load ld;
	long t0, cpu0, cpu;

	ls.opts.max_io_workers = 2;
	ls.burn_us = 20;	/* requests that keep main busy */
	CU_ASSERT_EQUAL_FATAL(ls_start(&ls, BATON_IO_WORKERS_AUTO), 0);
	CU_ASSERT_EQUAL(baton_server_nr_io_workers(ls.s), 0);
	load_start(&ld, ls.port, 32, 16);
	t0 = ls_now_ms();
	CU_ASSERT(ls_wait_until(baton_server_nr_io_workers(ls.s) >= 1, 30000));
	fprintf(stderr, "auto: a worker activated %ld ms into the load\n",
		ls_now_ms() - t0);
	CU_ASSERT(thread_named("baton-io/0"));
	CU_ASSERT_EQUAL(load_stop(&ld), 0);
	t0 = ls_now_ms();
	CU_ASSERT(ls_wait_until(baton_server_nr_io_workers(ls.s) == 0, 30000));
	fprintf(stderr, "auto: activated under load, parked %ld ms after it "
		"ended; %ld replies checked\n", ls_now_ms() - t0,
		atomic_load(&ld.replies));
	/* Idle: the tick only (10 Hz), parked workers asleep. */
	cpu0 = process_cpu_ms();
	usleep(1000 * 1000);
	cpu = process_cpu_ms() - cpu0;
	fprintf(stderr, "auto: %ld ms of CPU in 1 s idle\n", cpu);
	CU_ASSERT(cpu < 100);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

/* A single client, one request at a time, never wakes a worker: there is
 * nothing for one to do in parallel. */
static void test_auto_stays_inline_for_one_client(void)
{
	struct line_server ls = { 0 };
	struct load ld;

	ls.opts.max_io_workers = 2;
	CU_ASSERT_EQUAL_FATAL(ls_start(&ls, BATON_IO_WORKERS_AUTO), 0);
	load_start(&ld, ls.port, 1, 1);
	CU_ASSERT(ls_wait_until(atomic_load(&ld.replies) > 2000, 30000));
	usleep(600 * 1000);	/* several ticks of samples under this load */
	CU_ASSERT_EQUAL(baton_server_nr_io_workers(ls.s), 0);
	CU_ASSERT_EQUAL(load_stop(&ld), 0);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

/*
 * A kick that reaches a worker after it let its client go.  Main moves
 * such a client on once no kick of it is in flight (kick_queued clear),
 * and resets its IO fields for the next worker then; so the old worker
 * must be done looking at the client before it clears kick_queued.
 *
 * Client c sits on worker 1.  "WORKERS 1" asks worker 1 to let c go; it
 * is held right after (worker_let_go), before main can see c.  Meanwhile
 * main writes to c ("TELL"), which queues a second kick of c to worker 1.
 * Let go, worker 1 hands c to main and, on its next wake, clears that
 * kick and is held again (worker_kick_cleared).  Now main moves c to
 * worker 0, which delivers the write and serves c while worker 1 is
 * held.  Released, worker 1 must leave c alone: looking at c's IO fields
 * now, it would find worker 0's view and take c for its own (a DEBUG
 * build asserts the ownership; TSan reports the race).
 */
static void test_kick_after_let_go(void)
{
	struct line_server ls = { 0 };
	char buf[64], cmd[64];
	unsigned long cleared;
	long id_c = -1;
	int d, c;

	ls.opts.max_io_workers = 2;
	CU_ASSERT_EQUAL_FATAL(ls_start(&ls, 2), 0);
	gate_reset();
	/* d comes first, so it goes to worker 0 and c to worker 1. */
	d = ls_dial(ls.port);
	CU_ASSERT_FATAL(d >= 0);
	ask(d, "PING\n", "PING");
	c = ls_dial(ls.port);
	CU_ASSERT_FATAL(c >= 0);
	CU_ASSERT(ls_send(c, "ID\n") == 0);
	CU_ASSERT(ls_read_line(c, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_FATAL(sscanf(buf, "%ld", &id_c) == 1);
	snprintf(cmd, sizeof(cmd), "WORKER %ld\n", id_c);
	ask(d, cmd, "1");

	CU_ASSERT_EQUAL(gate_arm("worker_let_go"), 0);
	ask(d, "WORKERS 1\n", "WORKERS 0");
	CU_ASSERT_FATAL(gate_wait_held("worker_let_go", 10000));
	cleared = gate_passes("worker_kick_cleared");
	CU_ASSERT_EQUAL(gate_arm("worker_kick_cleared"), 0);
	snprintf(cmd, sizeof(cmd), "TELL %ld hello\n", id_c);
	ask(d, cmd, "TOLD 0");
	gate_release("worker_let_go");
	CU_ASSERT_FATAL(gate_wait_held("worker_kick_cleared", 10000));

	/* c moved on while worker 1 holds the second kick. */
	CU_ASSERT(ls_read_line(c, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "hello");
	ask(c, "ping\n", "ping");
	snprintf(cmd, sizeof(cmd), "WORKER %ld\n", id_c);
	ask(d, cmd, "0");

	gate_release("worker_kick_cleared");
	CU_ASSERT(gate_wait_passes("worker_kick_cleared", cleared + 1, 10000));
	ask(c, "pong\n", "pong");
	ask(d, cmd, "0");
	gate_reset();
	close(c);
	close(d);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

static const struct cunit_test tests[] = {
	CUNIT_TEST(test_change_under_load),
	CUNIT_TEST(test_auto_activates_and_parks),
	CUNIT_TEST(test_auto_stays_inline_for_one_client),
	CUNIT_TEST(test_kick_after_let_go),
};

int main(void)
{
	return cunit_run("adapt", tests, ARRAY_SIZE(tests), NULL, NULL);
}
