/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * baton.pml - a Promela model of how a client moves between the main
 * thread and its IO worker (llist inboxes + eventfd wakes), how main
 * writes to a client it does not own (posts), kills or closes it (kicks),
 * and how it is freed, for the spin model checker.
 *
 * Documentation/model.rst explains the abstraction, maps every process
 * and inline here to its function in lib/, and says how to run it.
 *
 * Granularity: one Promela step per shared-memory operation of the C
 * code (an llist add or del_all, an eventfd write or read, an atomic
 * exchange or store, a refcount change, a socket read); the thread-local
 * work around it (OWNER fields of a client the thread owns, its own MAIN
 * or IO fields, local chains) is folded into that step.  Every access to
 * a client asserts that its memory is not freed, and every access to an
 * OWNER field that the accessing thread is the ghost owner, so a wrong
 * access is caught in whichever step it is folded into.
 *
 * Output: every reply and every post main writes to a client is an item
 * numbered in the order main wrote it (wseq); every item that enters the
 * client's output queue must be the next one (appd), and the worker
 * delivers the queue in order (dlv), so an item out of order, twice or
 * skipped fails an assertion where it happens.
 *
 * Size knobs (-D on the spin -a command line):
 *   NCLI    clients main accepts, 1 or 2              (default 2)
 *   MAXREQ  requests each peer may send                (default 1)
 *   NKILL   baton_client_kill() calls main may make    (default 1)
 *   NPOST   posts (baton_client_write() from main)     (default 0)
 *   NCLOSE  goodbyes: a write, then a close            (default 0)
 *   NREAD   get_rcu lookups of the foreign thread      (default 1)
 *
 * Peer and application knobs (what the environment may do):
 *   MAXREQ1           requests peer 1 may send       (default MAXREQ)
 *   CLOSE0, CLOSE1    peer 0 / 1 may close (EOF)     (default 1)
 *   NO_TICK_KILL      main's tick never kills
 *   NO_KILL_IN_EXEC   main never kills from an execute callback
 *   NO_TICK_POST      main's tick never posts
 *   NO_POST_IN_EXEC   main never posts from an execute callback
 *   NO_TICK_CLOSE     main's tick never says goodbye
 *   NO_CLOSE_IN_EXEC  main never says goodbye from an execute callback
 *
 * Behaviour knob:
 *   NEW_IO_AT_MAIN=1  client_alloc() sets io_at_main, as lib/client.c
 *                     does since the bug this model found was fixed
 *                     (Documentation/model.rst, "Found bug"); 0 is the
 *                     code as it was (calloc: false), which spin rejects
 *
 * Check knob:
 *   NO_WAKE_INVARIANT drop the lost-wakeup invariant, so that only the
 *                     liveness checks can see a lost wake
 *
 * Deliberately broken variants, each of which spin must reject:
 *   BUG_DRAIN_FIRST    a level-triggered eventfd the worker resets
 *                      after draining its inbox, not at epoll_wait (lost
 *                      wakeup; what lib/ must not do, and did not when
 *                      it read the eventfd)
 *   BUG_WAKE_NONEMPTY  a producer wakes when llist_add_batch() says the
 *                      list was NOT empty (lost wakeup)
 *   BUG_KICK_NOREF     a kick holds no reference (use after free on the
 *                      worker's kick list)
 *   BUG_NO_GRACE       finalize drops the table's reference at once,
 *                      without a grace period (use after free in the
 *                      foreign RCU reader)
 *   BUG_KILL_ANYWAY    baton_client_kill() marks CF_CLOSE_NOW without
 *                      checking that main owns the client (two owners)
 *   BUG_WAKE_ALWAYS    every flush wakes the other side, even with
 *                      nothing to hand over: main and the worker wake
 *                      each other for ever (a non-progress cycle; only
 *                      pan -l sees it)
 *   BUG_POST_NO_TAKE_AT_MAIN
 *                      main executes a client's requests before it takes
 *                      the client's posts (a reply overtakes a post)
 *   BUG_CLOSE_BEFORE_PUBLISH
 *                      baton_client_close() sets CTL_CLOSE_AFTER_REPLY
 *                      before it publishes the posts written before it
 *                      (the goodbye is lost)
 *   BUG_KICK_CLEAR_LATE
 *                      the worker clears kick_queued after it acted on
 *                      the kick, not before (a post published meanwhile
 *                      is never taken)
 */

#ifndef NCLI
#define NCLI	2
#endif
#ifndef MAXREQ
#define MAXREQ	1
#endif
#ifndef MAXREQ1
#define MAXREQ1	MAXREQ
#endif
#ifndef CLOSE0
#define CLOSE0	1
#endif
#ifndef CLOSE1
#define CLOSE1	1
#endif
#ifndef NKILL
#define NKILL	1
#endif
#ifndef NPOST
#define NPOST	0
#endif
#ifndef NCLOSE
#define NCLOSE	0
#endif
#ifndef NREAD
#define NREAD	1
#endif
#ifndef NEW_IO_AT_MAIN
#define NEW_IO_AT_MAIN	1
#endif

/* Where the application may act: from the tick, from an execute. */
#ifdef NO_TICK_KILL
#define TICK_KILL	0
#else
#define TICK_KILL	1
#endif
#ifdef NO_KILL_IN_EXEC
#define EXEC_KILL	0
#else
#define EXEC_KILL	1
#endif
#ifdef NO_TICK_POST
#define TICK_POST	0
#else
#define TICK_POST	1
#endif
#ifdef NO_POST_IN_EXEC
#define EXEC_POST	0
#else
#define EXEC_POST	1
#endif
#ifdef NO_TICK_CLOSE
#define TICK_CLOSE	0
#else
#define TICK_CLOSE	1
#endif
#ifdef NO_CLOSE_IN_EXEC
#define EXEC_CLOSE	0
#else
#define EXEC_CLOSE	1
#endif

/* Arrays are sized for two clients; NCLI says how many are used. */
#define MAXC	2
#if NCLI < 1 || NCLI > MAXC
#error "NCLI must be 1 or 2"
#endif

/* Ghost owner of a client: who may touch its OWNER fields. */
#define NOBODY	0	/* on an inbox, between a release and its acquire */
#define MAIN	1
#define WORKER	2

/* Bits of pending_ctl (CTL_* in include/baton/client_internal.h). */
#define CTL_CLOSE_NOW		1
#define CTL_CLOSE_AFTER_REPLY	2
#define CTL_POSTS		4

#ifdef BUG_WAKE_NONEMPTY
#define WAKE_WHEN(was_empty)	(!(was_empty))
#else
#define WAKE_WHEN(was_empty)	(was_empty)
#endif

/* ------------------------------------------------------------ state */

/* Main thread: s->inbox, s->wake (eventfd), its epoll set. */
byte m_inbox[MAXC];
byte m_inbox_n;
bit  m_efd;		/* eventfd counter != 0 */
bit  m_blocked;		/* ghost: inside epoll_wait */
bit  m_owed;		/* ghost: an add found the inbox empty, wake not yet written */
byte nacc;		/* clients accepted so far */
byte nkill;		/* kills the application made */
byte npost;		/* posts the application made */
byte nclose;		/* goodbyes the application made */

/* The IO worker: w->inbox, w->kicks, w->wake, its epoll set. */
byte w_inbox[MAXC];
byte w_inbox_n;
byte w_kicks[MAXC];
byte w_kicks_n;
bit  w_efd;
bit  w_blocked;
bit  w_owed;

/* The foreign reader is inside rcu_read_lock(); it has finished. */
bit  r_cs;
bit  r_done;

/* Per client.  Ghost state: */
byte owner[MAXC];	/* NOBODY / MAIN / WORKER */
bit  w_holds[MAXC];	/* the worker acts as owner: take_client .. handoff_to_main */
bit  accepted[MAXC];
bit  freed[MAXC];	/* client_free() ran */
bit  finalized[MAXC];	/* main_finalize_client() ran */
bit  killed[MAXC];	/* baton_client_kill() found it */
bit  closed[MAXC];	/* baton_client_close() closed it */
byte sent[MAXC];	/* requests the peer sent */
byte nrep[MAXC];	/* requests main executed (one reply each) */
byte wseq[MAXC];	/* output items main wrote: replies and posts */
byte lastrep[MAXC];	/* the item that is the latest reply */
byte killseq[MAXC];	/* items main had written when it killed it */
byte appd[MAXC];	/* the latest item appended to the output queue */
byte dlv[MAXC];		/* items the peer received */
/* The socket, as the peer and epoll see it: */
byte sock_data[MAXC];	/* requests readable */
bit  sock_eof[MAXC];	/* the peer closed */
bit  registered[MAXC];	/* fd in the worker's epoll set */
bit  edge[MAXC];	/* EPOLLET event queued, not yet reported */
/* struct baton_client, OWNER fields: */
bit  f_new[MAXC];	/* CF_NEW */
bit  f_close_now[MAXC];	/* CF_CLOSE_NOW */
bit  f_close_after[MAXC]; /* CF_CLOSE_AFTER_REPLY */
bit  f_gone[MAXC];	/* CF_GONE */
byte reqs[MAXC];	/* nr_reqs: parsed, not executed */
byte outq[MAXC];	/* items queued (out_head): appd - outq + 1 .. appd */
/* ATOMIC and PENDING fields: */
byte refs[MAXC];
bit  pending_read[MAXC];
byte pctl[MAXC];	/* pending_ctl: CTL_* */
bit  kick_queued[MAXC];
byte pl_lo[MAXC];	/* posts: its items are pl_lo .. pl_lo + pl_n - 1 */
byte pl_n[MAXC];
/* IO fields: */
bit  io_at_main[MAXC];
bit  io_maybe_more[MAXC];
/* MAIN fields: */
bit  at_main[MAXC];
bit  closing[MAXC];
/* (post_first .. post_last is main_thread's local ch_n[].) */
/* RCU: in the table; a grace-period free queued; the reader it waits for. */
bit  in_table[MAXC];
bit  gp_pending[MAXC];
bit  gp_wait[MAXC];

/* ------------------------------------------------------------ checks */

/* Any access to the client's memory. */
#define TOUCH(c)	assert(!freed[c])
/* An access to an OWNER field by thread @me. */
#define OWN(c, me)	assert(!freed[c] && owner[c] == (me))

/*
 * No lost wakeup: a thread asleep in epoll_wait whose eventfd is not
 * signalled, and to which no producer still owes a wake, has empty lists.
 */
#ifdef NO_WAKE_INVARIANT
/* Leave lost wakes to the liveness checks alone (to show they see them). */
#define LOST_WAKE	0
#else
#define LOST_WAKE \
	((w_blocked && !w_efd && !w_owed && (w_inbox_n > 0 || w_kicks_n > 0)) || \
	 (m_blocked && !m_efd && !m_owed && m_inbox_n > 0))
#endif

/* Two threads acting as owner of the same client. */
#define TWO_OWNERS(c)	(at_main[c] && w_holds[c])

/*
 * A client is done when it is finalized and freed (every request
 * executed unless it was killed or closed), or alive with its worker:
 * every request read and executed, nothing pending, no reference leaked.
 */
#define DONE(c) \
	(accepted[c] && \
	 ((finalized[c] && freed[c] && refs[c] == 0 && !gp_pending[c] && \
	   (killed[c] || closed[c] || nrep[c] == sent[c])) || \
	  (!finalized[c] && !closing[c] && !sock_eof[c] && \
	   sock_data[c] == 0 && reqs[c] == 0 && outq[c] == 0 && \
	   nrep[c] == sent[c] && w_holds[c] && registered[c] && \
	   !io_at_main[c] && refs[c] == 1 && pctl[c] == 0 && \
	   !kick_queued[c] && !pending_read[c])))
#define QUIET \
	(nacc == NCLI && m_inbox_n == 0 && w_inbox_n == 0 && w_kicks_n == 0 && \
	 DONE(0) && (NCLI < 2 || DONE(1)))

/*
 * A client's output is done when every reply reached the peer and every
 * post did too, unless it was killed (a kill drops output) or the peer
 * closed (posts still in flight then go nowhere): nothing posted is left
 * on the post list (or main's chain: it is empty while main sleeps) of a
 * client that lives.
 */
#define OUT_DONE(c) \
	(killed[c] || \
	 (dlv[c] >= lastrep[c] && \
	  (sock_eof[c] || (dlv[c] == wseq[c] && pl_n[c] == 0))))
#define OUT_QUIET	(OUT_DONE(0) && (NCLI < 2 || OUT_DONE(1)))

/*
 * Every thread of the server is asleep for good unless a peer acts:
 * main and the worker in epoll_wait with nothing to report, no grace
 * period callback due, the reader finished.
 */
#define TICK_DUE \
	((TICK_KILL && nkill < NKILL) || (TICK_POST && npost < NPOST) || \
	 (TICK_CLOSE && nclose < NCLOSE))
#define STABLE \
	(m_blocked && !m_efd && nacc == NCLI && !TICK_DUE && \
	 w_blocked && !w_efd && !edge[0] && !edge[1] && \
	 !(gp_pending[0] && !gp_wait[0]) && !(gp_pending[1] && !gp_wait[1]) && \
	 r_done)

/* -------------------------------------------------- shared helpers */

/* refcount_dec_and_test(); the thread that reaches zero frees. */
#define PUT(c) \
	TOUCH(c); \
	assert(refs[c] > 0); \
	refs[c]--; \
	if \
	:: refs[c] == 0 -> freed[c] = 1 \
	:: else \
	fi

/*
 * llist_del_all() of an inbox, second half: the exchange, which is the
 * acquire of every handoff on the list (each entry's ghost owner becomes
 * @me).  The first half, the relaxed emptiness pre-check, is the guard
 * before it, a step of its own.  (A macro: inlines take no arrays.)
 */
#define TAKE_ALL(list, n, dst, nout, me) \
	nout = 0; \
	do \
	:: nout < n -> \
		dst[nout] = list[nout]; \
		assert(owner[dst[nout]] == NOBODY); \
		owner[dst[nout]] = me; \
		list[nout] = 0; \
		nout++ \
	:: else -> break \
	od; \
	n = 0

/*
 * llist_add_batch() of a local chain: the CAS loop's successful round
 * is one step; it says whether the list was empty.  The ghost "owed"
 * records that the producer must now wake the consumer.
 */
#define ADD_BATCH(list, n, src, nsrc, owed) \
	was_empty = (n == 0); \
	k = 0; \
	do \
	:: k < nsrc -> \
		list[n] = src[k]; \
		n++; \
		src[k] = 0; \
		k++ \
	:: else -> break \
	od; \
	nsrc = 0; \
	k = 0; \
	owed = owed || was_empty

/*
 * client_append_chunk() of items @lo .. @lo + @n - 1 by the owner: they
 * must be the items that follow the last one queued (or sent), in the
 * order main wrote them.
 */
#define APPEND(c, lo, n) \
	assert((lo) == appd[c] + 1); \
	appd[c] = (lo) + (n) - 1; \
	outq[c] = outq[c] + (n)

/* client_take_posts(): the owner's llist_del_all of c->posts. */
#define TAKE_POSTS(c) \
	if \
	:: pl_n[c] > 0 -> \
		APPEND(c, pl_lo[c], pl_n[c]); \
		pl_n[c] = 0; \
		pl_lo[c] = 0 \
	:: else \
	fi

/*
 * client_take_ctl() (the acquire exchange of pending_ctl), then
 * client_ctl_flags(): a kill wins over a close after the output.
 */
#define TAKE_CTL(c) \
	if \
	:: (pctl[c] & CTL_CLOSE_NOW) != 0 -> f_close_now[c] = 1 \
	:: (pctl[c] & (CTL_CLOSE_NOW | CTL_CLOSE_AFTER_REPLY)) == \
	   CTL_CLOSE_AFTER_REPLY -> f_close_after[c] = 1 \
	:: else \
	fi; \
	pctl[c] = 0

/*
 * worker_write() of the whole output queue: the peer receives it.  Once
 * the owner has seen a kill nothing more goes out, and nothing main
 * wrote after a kill ever does; every item goes out once, in order.
 */
#define DELIVER(c) \
	assert(!f_close_now[c]); \
	assert(!killed[c] || appd[c] <= killseq[c]); \
	assert(dlv[c] + outq[c] == appd[c]); \
	dlv[c] = appd[c]; \
	outq[c] = 0

/* ------------------------------------------------------------ main */

/* handoff_to_worker(): main gives the client up into its local chain. */
#define HANDOFF_TO_WORKER(c) \
	OWN(c, MAIN); \
	owner[c] = NOBODY; \
	at_main[c] = 0; \
	out[nout] = c; \
	nout++

/*
 * handoff_kick() (inside a d_step): the release fetch_or of pending_ctl,
 * the kick_queued exchange and, when it was clear, the kick's reference
 * and the client on main's chain of kicks for the worker.
 */
#ifdef BUG_KICK_NOREF
#define KICK_REF(c)
#else
#define KICK_REF(c)	assert(refs[c] > 0); refs[c]++;
#endif
#define KICK(c, ctl) \
	TOUCH(c); \
	pctl[c] = pctl[c] | (ctl); \
	if \
	:: !kick_queued[c] -> \
		kick_queued[c] = 1; \
		KICK_REF(c) \
		kch[nkch] = c; \
		nkch++ \
	:: else \
	fi

/*
 * post_publish(): one llist_add_batch of main's chain for @c onto
 * c->posts (the release of the chunks); the owner is kicked (CTL_POSTS)
 * when the list was empty.  The chain holds the newest items, and the
 * list, if not empty, the ones just before them.
 */
inline publish(c)
{
	if
	:: ch_n[c] > 0 ->
		d_step {
			TOUCH(c);
			assert(pl_n[c] == 0 ||
			       pl_lo[c] + pl_n[c] == wseq[c] - ch_n[c] + 1);
			was_empty = (pl_n[c] == 0);
			if
			:: was_empty -> pl_lo[c] = wseq[c] - ch_n[c] + 1
			:: else
			fi;
			pl_n[c] = pl_n[c] + ch_n[c];
			ch_n[c] = 0
		};
		if
		:: was_empty -> d_step { was_empty = 0; KICK(c, CTL_POSTS) }
		:: else
		fi
	:: else
	fi
}

/*
 * handoff_flush_to_workers(): one llist_add_batch onto w->inbox for the
 * clients handed back, one onto w->kicks for the kicks, then one
 * wake_up() when either list was empty.  (A producer that will not wake
 * owes nothing from its last add on: only a broken one gets there with
 * an add that found a list empty.)
 */
inline flush_to_workers()
{
	if
	:: nout > 0 ->
		d_step {
			ADD_BATCH(w_inbox, w_inbox_n, out, nout, w_owed);
			wk = WAKE_WHEN(was_empty);
			was_empty = 0;
			if
			:: nkch == 0 && !wk -> w_owed = 0
			:: else
			fi
		}
	:: else
	fi;
	if
	:: nkch > 0 ->
		d_step {
			ADD_BATCH(w_kicks, w_kicks_n, kch, nkch, w_owed);
			wk = wk || WAKE_WHEN(was_empty);
			was_empty = 0;
			if
			:: !wk -> w_owed = 0
			:: else
			fi
		}
	:: else
	fi;
	if
	:: wk -> d_step { w_efd = 1; w_owed = 0; wk = 0 }
#ifdef BUG_WAKE_ALWAYS
	:: else -> w_efd = 1
#else
	:: else
#endif
	fi
}

/*
 * The application writes to @c from main (baton_client_write()): found
 * (in the table) and not closing (post_check()); to the output queue
 * when main owns it (at_main), else post_copy() chains it for the end of
 * the iteration.  Only main-owned state changes: part of the next step.
 */
#define WRITE(c) \
	TOUCH(c); \
	wseq[c]++; \
	if \
	:: at_main[c] -> OWN(c, MAIN); APPEND(c, wseq[c], 1) \
	:: else -> ch_n[c]++ \
	fi

inline post(c)
{
	d_step {
		if
		:: in_table[c] && !closing[c] -> WRITE(c)
		:: else
		fi
	}
}

/*
 * baton_client_kill(): lookup (in the table and not closing), then
 * client_close_how(CF_CLOSE_NOW): post_forget() drops main's chain; the
 * client is marked when main owns it (at_main), else its owner is kicked
 * (CTL_CLOSE_NOW; post_publish_now() has nothing left to publish).
 */
inline kill(c)
{
	d_step {
		if
		:: in_table[c] && !closing[c] ->
			closing[c] = 1;
			killed[c] = 1;
			killseq[c] = wseq[c];
			ch_n[c] = 0;
#ifdef BUG_KILL_ANYWAY
			OWN(c, MAIN);
			f_close_now[c] = 1
#else
			if
			:: at_main[c] -> OWN(c, MAIN); f_close_now[c] = 1
			:: else -> KICK(c, CTL_CLOSE_NOW)
			fi
#endif
		:: else
		fi
	}
}

/*
 * A goodbye: the application writes a last message to @c, then
 * baton_client_close(): client_close_how(CF_CLOSE_AFTER_REPLY) marks the
 * client when main owns it, else publishes main's chain at once
 * (post_publish_now()), then kicks the owner (CTL_CLOSE_AFTER_REPLY).
 */
inline goodbye(c)
{
	d_step {
		t = (in_table[c] && !closing[c]);
		if
		:: t ->
			WRITE(c);
			closing[c] = 1;
			closed[c] = 1;
			if
			:: at_main[c] -> f_close_after[c] = 1; t = 0
			:: else
			fi
		:: else
		fi
	};
	if
	:: t ->
		t = 0;
#ifdef BUG_CLOSE_BEFORE_PUBLISH
		d_step { KICK(c, CTL_CLOSE_AFTER_REPLY) };
		publish(c)
#else
		publish(c);
		d_step { KICK(c, CTL_CLOSE_AFTER_REPLY) }
#endif
	:: else
	fi
}

/*
 * What the application may do from an execute callback (@ex) or the
 * tick: kill, post to, or say goodbye to one client (any: it may be gone
 * or not there yet), or (from execute) nothing.  The tick always uses
 * one action of the budget, so ticks end.
 */
inline app_act(ex)
{
	if
	:: atomic {
		nkill < NKILL && ((ex && EXEC_KILL) || (!ex && TICK_KILL)) ->
		nkill++;
		if
		:: tc = 0
		:: NCLI > 1 -> tc = 1
		fi
	   };
	   kill(tc)
	:: atomic {
		npost < NPOST && ((ex && EXEC_POST) || (!ex && TICK_POST)) ->
		npost++;
		if
		:: tc = 0
		:: NCLI > 1 -> tc = 1
		fi
	   };
	   post(tc)
	:: atomic {
		nclose < NCLOSE && ((ex && EXEC_CLOSE) || (!ex && TICK_CLOSE)) ->
		nclose++;
		if
		:: tc = 0
		:: NCLI > 1 -> tc = 1
		fi
	   };
	   goodbye(tc)
	:: ex
	:: else		/* execute used the tick's action up */
	fi;
	tc = 0
}

/*
 * The main thread: baton_server_run()'s loop with nr_workers > 0.
 * epoll_wait sleeps until the eventfd is signalled, a connection is
 * pending or the tick timer expires (while the application has actions
 * left for it: the tick may kill, post or say goodbye); the tick is not
 * a wake otherwise, so a lost wake shows as a hang.  The iteration ends
 * with main_flush(): post_flush(), then handoff_flush_to_workers().
 */
proctype main_thread()
{
	byte c, i, k, nb, nout, nkch, tc;
	byte batch[MAXC];
	byte out[MAXC];
	byte kch[MAXC];
	/* post_first .. post_last of each client (MAIN): items
	 * wseq - ch_n + 1 .. wseq, posted this iteration */
	byte ch_n[MAXC];
	bit ev_acc, ev_tick, was_empty, t, gone, wk;

	do
	:: atomic {
		m_blocked = 1;
end_main:
		/* epoll_wait: the eventfd is EPOLLET, its edge reported once */
		if
		:: m_efd -> m_efd = 0
		:: nacc < NCLI -> ev_acc = 1; m_efd = 0
		:: TICK_DUE -> ev_tick = 1; m_efd = 0
		fi;
		m_blocked = 0
	   };
	   /* EVSRC_LISTENER: accept_clients() -> accept_one() */
	   if
	   :: ev_acc ->
		d_step {
			ev_acc = 0;
			c = nacc;
			nacc++;
			/* client_alloc(), client_table_insert() */
			accepted[c] = 1;
			refs[c] = 1;
			owner[c] = MAIN;
			at_main[c] = 1;
			io_at_main[c] = NEW_IO_AT_MAIN;
			in_table[c] = 1;
			f_new[c] = 1;
			HANDOFF_TO_WORKER(c);
			c = 0
		}
	   :: else
	   fi;
	   /* main_process_inbox(): llist_del_all, pre-check then exchange */
	   if
	   :: m_inbox_n == 0 -> nb = 0
	   :: else -> d_step { TAKE_ALL(m_inbox, m_inbox_n, batch, nb, MAIN) }
	   fi;
	   i = 0;
	   do
	   :: d_step {
		i < nb ->
		c = batch[i];
		batch[i] = 0;
		i++;
		OWN(c, MAIN);
		at_main[c] = 1;
		gone = f_gone[c];
		if
		:: gone ->
			/* main_finalize_client(): free reqs, post_forget(),
			 * client_take_posts(), table remove, release the
			 * output, close, rcu_free */
			closing[c] = 1;
			finalized[c] = 1;
			reqs[c] = 0;
			ch_n[c] = 0;
			pl_n[c] = 0;
			pl_lo[c] = 0;
			in_table[c] = 0;
			outq[c] = 0;
#ifdef BUG_NO_GRACE
			PUT(c);
#else
			gp_pending[c] = 1;
			gp_wait[c] = r_cs;
#endif
			c = 0
		:: else ->
			TAKE_CTL(c);
#ifndef BUG_POST_NO_TAKE_AT_MAIN
			/* what was posted while it was away, then main's own
			 * chain of this iteration (post_take_chain()) */
			TAKE_POSTS(c);
			if
			:: ch_n[c] > 0 ->
				APPEND(c, wseq[c] - ch_n[c] + 1, ch_n[c]);
				ch_n[c] = 0
			:: else
			fi;
#endif
			/* main_execute(): one reply per request unless closing */
			if
			:: !f_close_now[c] && !f_close_after[c] && reqs[c] > 0 ->
				nrep[c] = nrep[c] + reqs[c];
				APPEND(c, wseq[c] + 1, reqs[c]);
				wseq[c] = wseq[c] + reqs[c];
				lastrep[c] = wseq[c]
			:: else
			fi;
			reqs[c] = 0
#ifdef BUG_POST_NO_TAKE_AT_MAIN
			;
			TAKE_POSTS(c);
			if
			:: ch_n[c] > 0 ->
				APPEND(c, wseq[c] - ch_n[c] + 1, ch_n[c]);
				ch_n[c] = 0
			:: else
			fi
#endif
		fi
	      };
		if
		:: !gone ->
			/* the application's execute may act */
			app_act(1);
			d_step { HANDOFF_TO_WORKER(c); c = 0 }
		:: else -> gone = 0
		fi
	   :: else -> break
	   od;
	   i = 0;
	   /* maybe_tick(): the application's tick acts */
	   if
	   :: ev_tick -> ev_tick = 0; app_act(0)
	   :: else
	   fi;
	   /* main_flush(): post_flush(), then handoff_flush_to_workers() */
	   publish(0);
	   if
	   :: NCLI > 1 -> publish(1)
	   :: else
	   fi;
	   flush_to_workers()
	od
}

/* ------------------------------------------------------------ worker */

/* handoff_to_main(): the worker gives the client up into its chain. */
#define HANDOFF_TO_MAIN(c) \
	OWN(c, WORKER); \
	owner[c] = NOBODY; \
	w_holds[c] = 0; \
	io_at_main[c] = 1; \
	chain[nch] = c; \
	nch++

/* worker_detach(): EPOLL_CTL_DEL (a queued edge goes too), CF_GONE. */
#define DETACH(c) \
	OWN(c, WORKER); \
	registered[c] = 0; \
	edge[c] = 0; \
	f_gone[c] = 1; \
	HANDOFF_TO_MAIN(c)

/*
 * worker_apply_ctl() after client_take_ctl(): take the posts, then drop
 * the output and detach when killed, else write it all (worker_flush())
 * and detach when closing after the output.  Leaves @c held by the
 * worker, or handed to main.
 */
#define APPLY_CTL(c) \
	OWN(c, WORKER); \
	TAKE_POSTS(c); \
	if \
	:: f_close_now[c] -> \
		outq[c] = 0; \
		DETACH(c) \
	:: else -> \
		DELIVER(c); \
		if \
		:: f_close_after[c] -> DETACH(c) \
		:: else \
		fi \
	fi

/*
 * worker_input() with try_read: one read() takes what the socket has,
 * parse finds the requests in it and the client goes to main; else EOF
 * detaches it, else EAGAIN keeps it.
 */
#define INPUT(c, tr) \
	OWN(c, WORKER); \
	io_maybe_more[c] = 0; \
	if \
	:: tr && sock_data[c] > 0 -> \
		reqs[c] = reqs[c] + sock_data[c]; \
		sock_data[c] = 0; \
		io_maybe_more[c] = 1; \
		HANDOFF_TO_MAIN(c) \
	:: tr && sock_data[c] == 0 && sock_eof[c] -> DETACH(c) \
	:: else \
	fi

/*
 * worker_take_client(): a client arrives from main.  One step for the
 * acquire exchange of pending_ctl (with the CF_NEW epoll add before
 * it), one for worker_apply_ctl(): the posts' del_all, then detach, or
 * write the output, consume pending_read and read (worker_input).
 */
inline take_client(c)
{
	d_step {
		OWN(c, WORKER);
		w_holds[c] = 1;
		if
		:: f_new[c] ->
			f_new[c] = 0;
			/* EPOLL_CTL_ADD reports data that came first */
			registered[c] = 1;
			edge[c] = (sock_data[c] > 0 || sock_eof[c]);
			io_maybe_more[c] = 1
		:: else
		fi;
		io_at_main[c] = 0;
		TAKE_CTL(c)
	};
	d_step {
		APPLY_CTL(c);
		if
		:: w_holds[c] ->
			t = (pending_read[c] || io_maybe_more[c]);
			pending_read[c] = 0;
			INPUT(c, t)
		:: else
		fi;
		t = 0
	}
}

/*
 * worker_handle_inbox(): the clients, then worker_handle_kicks(): per
 * kick, whether the worker owns the client (!io_at_main; a detached one
 * is io_at_main here too), read before the release store of kick_queued
 * (main may queue the node again, and in the library may move a client
 * the worker let go once it sees the kick gone, rewriting these fields:
 * not modelled), then, for a client the worker owns, client_take_ctl()
 * and worker_apply_ctl(), and the put of the kick's reference.
 */
inline handle_inbox()
{
	/* llist_del_all(&w->inbox): pre-check, then exchange */
	if
	:: w_inbox_n == 0 -> nb = 0
	:: else -> d_step { TAKE_ALL(w_inbox, w_inbox_n, batch, nb, WORKER) }
	fi;
	i = 0;
	do
	:: d_step { i < nb -> c = batch[i]; batch[i] = 0; i++ };
		take_client(c)
	:: else -> break
	od;
	/* llist_del_all(&w->kicks): no ownership moves with a kick */
	if
	:: w_kicks_n == 0 -> nk = 0
	:: else ->
		d_step {
			nk = 0;
			do
			:: nk < w_kicks_n ->
				kb[nk] = w_kicks[nk];
				w_kicks[nk] = 0;
				nk++
			:: else -> break
			od;
			w_kicks_n = 0
		}
	fi;
	i = 0;
	do
	:: d_step {
		i < nk ->
		c = kb[i];
		kb[i] = 0;
		i++;
		TOUCH(c);
		t = !io_at_main[c]	/* before the clear: see below */
#ifndef BUG_KICK_CLEAR_LATE
		;
		kick_queued[c] = 0
#endif
	   };
	   d_step {
		if
		:: t ->
			OWN(c, WORKER);
			TAKE_CTL(c);
			APPLY_CTL(c)
		:: else
		fi;
#ifdef BUG_KICK_CLEAR_LATE
	   };
	   d_step {
		kick_queued[c] = 0;
#endif
#ifndef BUG_KICK_NOREF
		PUT(c);		/* the kick's reference */
#endif
		c = 0;
		t = 0
	   }
	:: else -> break
	od;
	atomic { c = 0; i = 0; nb = 0; nk = 0 }
}

/*
 * The IO worker: worker_run_once() in a loop.  epoll_wait returns the
 * eventfd (level-triggered) and the clients' queued edges; they are
 * handled in any order, then the iteration's chain goes to main
 * (handoff_flush_to_main).
 */
proctype worker()
{
	byte c, i, k, nb, nk, nch;
	byte batch[MAXC];
	byte kb[MAXC];
	byte chain[MAXC];
	bit ev_wake, ev_c0, ev_c1, was_empty, t;

	do
	:: atomic {
		w_blocked = 1;
end_worker:
		(w_efd || edge[0] || edge[1]) ->
		w_blocked = 0;
		ev_wake = w_efd;
#ifndef BUG_DRAIN_FIRST
		/* EPOLLET: epoll_wait reports the edge once; nothing to read */
		w_efd = 0;
#endif
		ev_c0 = edge[0];
		ev_c1 = edge[1];
		edge[0] = 0;
		edge[1] = 0
	   };
	   do
	   :: ev_wake ->
#ifdef BUG_DRAIN_FIRST
		ev_wake = 0;
		handle_inbox();
		w_efd = 0
#else
		ev_wake = 0;
		handle_inbox()
#endif
	   :: ev_c0 ->
		/* worker_handle_event(): with main, only pending_read */
		d_step {
			ev_c0 = 0;
			TOUCH(0);
			if
			:: io_at_main[0] -> pending_read[0] = 1
			:: else -> INPUT(0, 1)
			fi
		}
	   :: ev_c1 ->
		d_step {
			ev_c1 = 0;
			TOUCH(1);
			if
			:: io_at_main[1] -> pending_read[1] = 1
			:: else -> INPUT(1, 1)
			fi
		}
	   :: else -> break
	   od;
	   /* handoff_flush_to_main() */
	   if
	   :: nch > 0 ->
		d_step { ADD_BATCH(m_inbox, m_inbox_n, chain, nch, m_owed) };
		if
		:: WAKE_WHEN(was_empty) -> d_step { m_efd = 1; m_owed = 0; was_empty = 0 }
		:: else -> d_step { m_owed = 0; was_empty = 0 }
		fi
#ifdef BUG_WAKE_ALWAYS
	   :: else -> m_efd = 1
#else
	   :: else
#endif
	   fi
	od
}

/* ------------------------------------------------------------ others */

/*
 * The remote peer of client @c: sends requests and may close, at any
 * time; it may also never do either (STABLE checks those states).
 */
proctype peer(byte c)
{
end_peer:
	accepted[c];
end_peer_loop:
	do
	:: d_step {
		sent[c] < (c == 0 -> MAXREQ : MAXREQ1) && !sock_eof[c] ->
		sent[c]++;
		sock_data[c]++;
		if
		:: registered[c] -> edge[c] = 1
		:: else
		fi
	   }
	:: d_step {
		!sock_eof[c] && (c == 0 -> CLOSE0 : CLOSE1) ->
		sock_eof[c] = 1;
		if
		:: registered[c] -> edge[c] = 1
		:: else
		fi
	   }
	od
}

/*
 * A foreign thread: rcu_read_lock(), baton_client_get_rcu() (table
 * lookup, then refcount_inc_not_zero), rcu_read_unlock(), use the
 * client, baton_client_put().
 */
proctype reader()
{
	byte c, n;
	bit got;

	do
	:: atomic {
		n < NREAD ->
		n++;
		r_cs = 1;
		if
		:: c = 0
		:: NCLI > 1 -> c = 1
		fi
	   };
	   /* client_table_find(), then inc_not_zero */
	   if
	   :: in_table[c] ->
		d_step {
			TOUCH(c);
			if
			:: refs[c] > 0 -> refs[c]++; got = 1
			:: else
			fi
		}
	   :: else
	   fi;
	   /* rcu_read_unlock(): ends what a grace period waits for */
	   d_step { r_cs = 0; gp_wait[0] = 0; gp_wait[1] = 0 };
	   if
	   :: got -> d_step { TOUCH(c); PUT(c); got = 0 }	/* id, put */
	   :: else
	   fi;
	   c = 0
	:: else -> r_done = 1; break
	od
}

/* liburcu's call_rcu thread: client_put_table_ref() after the grace period. */
proctype rcu_cb(byte c)
{
end_rcu:
	d_step {
		gp_pending[c] && !gp_wait[c] ->
		gp_pending[c] = 0;
		PUT(c)
	}
}

/*
 * Checked in every reachable state.  The last two are the liveness
 * checks: whatever the peers did so far, once the server's threads have
 * nothing left to do, every item of output has reached its peer, and
 * all the rest has been done.  (The model has no cycles, pan -l checks that,
 * so the threads always get there.)
 */
active proctype invariants()
{
end_inv:
	atomic {
		(LOST_WAKE || TWO_OWNERS(0) || TWO_OWNERS(1) ||
		 (STABLE && !(QUIET && OUT_QUIET))) ->
		assert(!LOST_WAKE);
		assert(!TWO_OWNERS(0) && !TWO_OWNERS(1));
		assert(!STABLE || OUT_QUIET);
		assert(!STABLE || QUIET)
	}
}

/* Checked when nothing at all can move: a deadlock, or the end. */
active proctype quiescence()
{
end_quiet:
	timeout -> assert(OUT_QUIET); assert(QUIET)
}

init
{
	atomic {
		run main_thread();
		run worker();
		run peer(0);
		run rcu_cb(0);
		if
		:: NCLI > 1 -> run peer(1); run rcu_cb(1)
		:: else
		fi;
		run reader()
	}
}
