/*
 * goker_istio.c — GoBench GoKer blocking kernel istio/16224
 * (leak-corpus.md section 2): a send under a lock the receiver needs.
 */
#include "corpus.h"
#include "kernel.h"
#include "probe.h"

/* An event handler registered with the config store (Go: func(Event)). */
struct event_handler {
	void (*fn)(void *env, int event);
	void *env;
};

/* Go: configstoreMonitor, the controller's event loop. */
struct config_store_monitor {
	goro_chan *event_ch; /* int, unbuffered */
	struct event_handler handler;
};

struct controller_run_args {
	struct config_store_monitor *m;
	goro_chan *stop;
};

/* Go: controller.Run (configstoreMonitor.Run): processes events until
 * stop; on stop it still does a blocking receive on eventCh. */
static void controller_run(void *arg)
{
	const struct controller_run_args *a = arg;
	struct config_store_monitor *m = a->m;
	int event;

	for (;;) {
		goro_case cases[] = {
			GORO_RECV(a->stop, NULL),
			GORO_RECV(m->event_ch, &event),
		};
		if (goro_select(cases, 2, false) == 0) {
			if (goro_chan_recv(m->event_ch, &event))
				goro_chan_close(m->event_ch);
			return;
		}
		if (cases[1].ok)
			m->handler.fn(m->handler.env, event);
	}
}

/* Go: controller.Create: schedules an event. */
static void controller_create(struct config_store_monitor *m)
{
	const int event = 0;
	goro_chan_send(m->event_ch, &event);
}

/* The test's handler: reports the event under its lock. */
struct istio_handler_env {
	goro_mutex *lock;
	goro_chan *done; /* char, unbuffered */
};

static void istio16224_handler(void *env, int event)
{
	struct istio_handler_env *h = env;
	(void)event;
	goro_mutex_lock(h->lock);
	kernel_signal(h->done);
	goro_mutex_unlock(h->lock);
}

static void istio16224_func2(void *arg)
{
	(void)arg;
	struct config_store_monitor *m = goro_new(struct config_store_monitor);
	struct istio_handler_env *h = goro_new(struct istio_handler_env);
	goro_chan *stop = goro_chan_new(char, 0);

	h->lock = goro_new(goro_mutex);
	h->done = goro_chan_new(char, 0);
	m->event_ch = goro_chan_new(int, 0);
	m->handler = (struct event_handler){ istio16224_handler, h };
	goro_go(controller_run, &(struct controller_run_args){ m, stop });
	controller_create(m);
	/* forcing: the handler holds the lock before the test takes it. */
	corpus_wait_mutex_held(h->lock);
	goro_mutex_lock(h->lock);
	goro_mutex_unlock(h->lock);
	kernel_wait(h->done);
	goro_chan_close(stop);
}

static void istio16224_case(void)
{
	goro_go0(istio16224_func2);
}

CORPUS_CASE(goker_istio_16224) {
	.id = "GOKER-istio/16224",
	.run = istio16224_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "istio16224_func2", "sync.Mutex.Lock", 1 },
		{ "controller_run", "chan send", 1 },
	},
	.note = "the handler, on the controller's loop, sends on done while "
	        "holding lock; the test takes lock before receiving done. Forced: "
	        "the handler locks first. Go also allows controller.Run "
	        "[chan receive], the stop path's blocking receive (Go: func2 "
	        "[Mutex.Lock], controller.Run [chan send], flaky)",
};
