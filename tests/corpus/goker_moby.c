/*
 * goker_moby.c — GoBench GoKer blocking kernels from Moby (Docker)
 * (leak-corpus.md section 2).
 */
#include "corpus.h"
#include "kernel.h"
#include "probe.h"

/* ------------------------------------------------------------------ */
/* moby/17176 — Resource / Double locking                               */
/* ------------------------------------------------------------------ */

struct device_set {
	goro_mutex mu;
	int nr_deleted_devices; /* guarded by mu */
};

struct device_set_args {
	struct device_set *ds;
	goro_chan *done; /* char, unbuffered */
};

/* Go: DeviceSet.cleanupDeletedDevices: returns early with the lock held
 * when there is nothing to clean. */
static int cleanup_deleted_devices(struct device_set *ds)
{
	goro_mutex_lock(&ds->mu);
	if (ds->nr_deleted_devices == 0)
		return 0;
	goro_mutex_unlock(&ds->mu);
	return -1;
}

static void test_devmapper_lock_released_device_deletion_func1(void *arg)
{
	const struct device_set_args *a = arg;
	goro_mutex_lock(&a->ds->mu);
	kernel_signal(a->done);
	goro_mutex_unlock(&a->ds->mu);
}

/* Go: testDevmapperLockReleasedDeviceDeletion: gives up after 1 ms. */
static void test_devmapper_lock_released_device_deletion(void *arg)
{
	(void)arg;
	struct device_set *ds = goro_new(struct device_set);
	goro_chan *done = goro_chan_new(char, 0);
	char unit;
	int64_t at;

	cleanup_deleted_devices(ds);
	goro_go(test_devmapper_lock_released_device_deletion_func1,
	        &(struct device_set_args){ ds, done });
	goro_case cases[] = {
		GORO_RECV(goro_after(GORO_MILLISECOND), &at),
		GORO_RECV(done, &unit),
	};
	goro_select(cases, 2, false);
}

static void moby17176_case(void)
{
	goro_go0(test_devmapper_lock_released_device_deletion);
}

CORPUS_CASE(goker_moby_17176) {
	.id = "GOKER-moby/17176",
	.run = moby17176_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "test_devmapper_lock_released_device_deletion_func1",
		  "sync.Mutex.Lock", 1 },
	},
	.note = "cleanupDeletedDevices returns early without unlocking; a later "
	        "Lock blocks forever while the test gives up after 1 ms (Go: "
	        "testDevmapperLockReleasedDeviceDeletion.func1 [Mutex.Lock], "
	        "deterministic)",
};

/* ------------------------------------------------------------------ */
/* moby/25384 — Mixed / Misuse WaitGroup                                */
/* ------------------------------------------------------------------ */

enum { MANAGER_PLUGINS = 2 };

struct wg_ref {
	goro_waitgroup *wg;
};

/* A plugin's initialisation. */
static void manager_init_func1(void *arg)
{
	goro_waitgroup_done(((const struct wg_ref *)arg)->wg);
}

/* Go: Manager.init: Add(len(plugins)), then Wait inside the loop, after
 * only one plugin has started. */
static void manager_init(void *arg)
{
	(void)arg;
	goro_waitgroup *group = goro_new(goro_waitgroup);

	goro_waitgroup_add(group, MANAGER_PLUGINS);
	for (int p = 0; p < MANAGER_PLUGINS; p++) {
		goro_go(manager_init_func1, &(struct wg_ref){ group });
		goro_waitgroup_wait(group);
	}
}

static void moby25384_case(void)
{
	goro_go0(manager_init);
}

CORPUS_CASE(goker_moby_25384) {
	.id = "GOKER-moby/25384",
	.run = moby25384_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "manager_init", "sync.WaitGroup.Wait", 1 } },
	.note = "Wait inside the loop after Add(len(plugins)): the first Wait "
	        "needs a Done that only the next iteration would start (Go: "
	        "Manager.init [WaitGroup.Wait], registered as Moby25348, "
	        "deterministic)",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* moby/28462 — Mixed / Channel & Lock                                  */
/* ------------------------------------------------------------------ */

struct health {
	goro_chan *stop; /* char, unbuffered: the monitor's stop channel */
};

struct container {
	goro_mutex mu;
	struct health *health;
	/* Closed when the monitor first enters handleProbeResult (forcing). */
	goro_chan *probing;
	bool probed; /* touched by the monitor only */
	bool send_after_unlock; /* the fix */
};

struct container_ref {
	struct container *c;
};

/* Go: handleProbeResult: needs the container lock. */
static void handle_probe_result(struct container *c)
{
	if (!c->probed) {
		c->probed = true;
		goro_chan_close(c->probing);
	}
	goro_mutex_lock(&c->mu);
	goro_mutex_unlock(&c->mu);
}

/* Go: monitor: probes until told to stop. */
static void monitor(void *arg)
{
	struct container *c = ((const struct container_ref *)arg)->c;

	for (;;) {
		goro_case cases[] = { GORO_RECV(c->health->stop, NULL) };
		if (goro_select(cases, 1, true) == 0)
			return;
		handle_probe_result(c);
		goro_yield(); /* Go preempts this loop; be explicit */
	}
}

/* Go: Health.CloseMonitorChannel: a blocking send on stop. */
static void health_close_monitor_channel(struct health *h)
{
	kernel_signal(h->stop);
}

/* Go: Daemon.StateChanged: stops the monitor with the container locked. */
static void daemon_state_changed(void *arg)
{
	struct container *c = ((const struct container_ref *)arg)->c;

	goro_mutex_lock(&c->mu);
	/* forcing: the monitor has passed its stop check and is heading for
	 * the lock we hold. */
	kernel_wait(c->probing);
	if (c->send_after_unlock) {
		goro_mutex_unlock(&c->mu);
		health_close_monitor_channel(c->health);
		return;
	}
	health_close_monitor_channel(c->health);
	goro_mutex_unlock(&c->mu);
}

static void moby28462_run(bool fixed)
{
	struct container *c = goro_new(struct container);
	c->health = goro_new(struct health);
	c->health->stop = goro_chan_new(char, 0);
	c->probing = goro_chan_new(char, 0);
	c->send_after_unlock = fixed;

	goro_go(daemon_state_changed, &(struct container_ref){ c });
	/* forcing: StateChanged holds the lock when the monitor starts (Go
	 * starts the monitor first and races). */
	corpus_wait_mutex_held(&c->mu);
	goro_go(monitor, &(struct container_ref){ c });
}

static void moby28462_case(void)
{
	moby28462_run(false);
}

static void moby28462_fixed_case(void)
{
	moby28462_run(true);
}

CORPUS_CASE(goker_moby_28462) {
	.id = "GOKER-moby/28462",
	.run = moby28462_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "monitor", "sync.Mutex.Lock", 1 },
		{ "daemon_state_changed", "chan send", 1 },
	},
	.note = "StateChanged sends on the monitor's stop channel while holding "
	        "the container lock, which the monitor needs before it can "
	        "receive. Forced: the lock is held when the monitor starts, and "
	        "the send waits until the monitor is probing (Go: monitor "
	        "[Mutex.Lock], Daemon.StateChanged [chan send], flaky)",
};

CORPUS_CASE(goker_moby_28462_fixed) {
	.id = "GOKER-moby/28462/fixed",
	.run = moby28462_fixed_case,
	.mode = CORPUS_NO_LEAK,
	.note = "send on stop after unlocking",
};

/* ------------------------------------------------------------------ */
/* moby/29733 — Communication / Condition Variable                      */
/* ------------------------------------------------------------------ */

struct plugin {
	goro_mutex mu;
	goro_cond activate_wait; /* L = &mu */
	bool activated;          /* guarded by mu */
};

/* Go: the plugin store and the handlers' lock.  GoKer keeps them in
 * package variables; here they are shared through the tracked heap (a
 * global would make the Cond reachable and the leak invisible). */
struct plugin_store {
	goro_rwmutex handlers_mu;
	struct plugin *plugins[1];
	int n;
};

struct plugin_ref {
	struct plugin *p;
};

struct wait_active_args {
	struct plugin *p;
	goro_chan *done; /* closed once the plugin is active */
};

/* Go: Plugin.waitActive. */
static void plugin_wait_active(struct plugin *p)
{
	goro_mutex_lock(&p->mu);
	while (!p->activated)
		goro_cond_wait(&p->activate_wait);
	goro_mutex_unlock(&p->mu);
}

static void test_active_func1(void *arg)
{
	const struct wait_active_args *a = arg;
	plugin_wait_active(a->p);
	goro_chan_close(a->done);
}

/* Go: testActive: waits for the plugin to become active. */
static void test_active(void *arg)
{
	struct plugin *p = ((const struct plugin_ref *)arg)->p;
	goro_chan *done = goro_chan_new(char, 0);

	goro_go(test_active_func1, &(struct wait_active_args){ p, done });
	kernel_wait(done);
}

/* Go: Handle: deactivates every plugin and never signals. */
static void plugin_store_handle(struct plugin_store *s)
{
	goro_rwmutex_lock(&s->handlers_mu);
	for (int i = 0; i < s->n; i++) {
		goro_mutex_lock(&s->plugins[i]->mu);
		s->plugins[i]->activated = false;
		goro_mutex_unlock(&s->plugins[i]->mu);
	}
	goro_rwmutex_unlock(&s->handlers_mu);
}

static void moby29733_case(void)
{
	struct plugin_store *s = goro_new(struct plugin_store);
	struct plugin *p = goro_new(struct plugin);

	goro_cond_init(&p->activate_wait, goro_mutex_locker(&p->mu));
	p->activated = true;
	s->plugins[s->n++] = p;
	test_active(&(struct plugin_ref){ p }); /* active: returns */
	plugin_store_handle(s);
	goro_go(test_active, &(struct plugin_ref){ p });
}

CORPUS_CASE(goker_moby_29733) {
	.id = "GOKER-moby/29733",
	.run = moby29733_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = {
		{ "test_active_func1", "sync.Cond.Wait", 1 },
		{ "test_active", "chan receive", 1 },
	},
	.note = "Handle deactivates the plugin without a Broadcast: waitActive's "
	        "Cond.Wait never returns and testActive waits for it (Go: ported "
	        "but not in the test list: its port never signals the Cond)",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* moby/33293 — Communication / Channel                                 */
/* ------------------------------------------------------------------ */

/* forcing: always fails (GoKer fails at random). */
static int may_return_error(void)
{
	return -1;
}

/* Go: containerWait: on error sends it before returning the channel. */
static goro_chan *container_wait(size_t cap)
{
	goro_chan *err_c = goro_chan_new(int, cap);
	int err = may_return_error();
	if (err)
		goro_chan_send(err_c, &err);
	return err_c;
}

static void moby33293_func1(void *arg)
{
	container_wait(*(const size_t *)arg);
}

static void moby33293_case(void)
{
	goro_go(moby33293_func1, &(size_t){ 0 });
}

static void moby33293_fixed_case(void)
{
	goro_go(moby33293_func1, &(size_t){ 1 });
}

CORPUS_CASE(goker_moby_33293) {
	.id = "GOKER-moby/33293",
	.run = moby33293_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "moby33293_func1", "chan send", 1 } },
	.note = "containerWait sends the error on the unbuffered channel it has "
	        "not returned yet. Forced: the error always happens (not ported "
	        "by Go; GOLF detects it)",
	.flags = CORPUS_SYNCTEST,
};

CORPUS_CASE(goker_moby_33293_fixed) {
	.id = "GOKER-moby/33293/fixed",
	.run = moby33293_fixed_case,
	.mode = CORPUS_NO_LEAK,
	.note = "error channel of capacity 1",
	.flags = CORPUS_SYNCTEST,
};

/* ------------------------------------------------------------------ */
/* moby/36114 — Resource / Double locking                               */
/* ------------------------------------------------------------------ */

struct service_vm {
	goro_mutex mu;
	int attached_vhds; /* guarded by mu */
};

struct service_vm_ref {
	struct service_vm *svm;
};

/* Go: serviceVM.hotRemoveVHDsAtStart: locks svm. */
static void service_vm_hot_remove_vhds_at_start(struct service_vm *svm)
{
	goro_mutex_lock(&svm->mu);
	svm->attached_vhds--;
	goro_mutex_unlock(&svm->mu);
}

/* Go: serviceVM.hotAddVHDsAtStart: on failure rolls back through
 * hotRemoveVHDsAtStart with svm already locked.  The failure is forced. */
static void service_vm_hot_add_vhds_at_start(void *arg)
{
	struct service_vm *svm = ((const struct service_vm_ref *)arg)->svm;

	goro_mutex_lock(&svm->mu);
	svm->attached_vhds++;
	service_vm_hot_remove_vhds_at_start(svm);
	goro_mutex_unlock(&svm->mu);
}

static void moby36114_case(void)
{
	goro_go(service_vm_hot_add_vhds_at_start,
	        &(struct service_vm_ref){ goro_new(struct service_vm) });
}

CORPUS_CASE(goker_moby_36114) {
	.id = "GOKER-moby/36114",
	.run = moby36114_case,
	.mode = CORPUS_MUST_LEAK,
	.expect = { { "service_vm_hot_add_vhds_at_start", "sync.Mutex.Lock", 1 } },
	.note = "hotAddVHDsAtStart holds svm.Lock and calls hotRemoveVHDsAtStart, "
	        "which locks again (Go: serviceVM.hotAddVHDsAtStart [Mutex.Lock], "
	        "flaky)",
};
