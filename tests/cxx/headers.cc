// Every public header, and every C++ form, compiled by check_headers.sh.
#include <goro.h>
#include <goro_net.h>

struct w { goro_chan *c; int n; };
static void fn(void *) {}

int use_everything()
{
	goro_chan *c = goro_chan_new(int, 1);
	w a = { c, 1 };
	goro_go(fn, &a);
	goro_go(fn, w{ c, 2 });
	goro_go0(fn);
	goro::go([=] { goro_send(c, 3); });
	goro_waitgroup wg = {};
	goro_waitgroup_go(&wg, fn, &a);
	goro::waitgroup_go(&wg, [] {});
	goro_after_func(GORO_SECOND, fn, w{ c, 4 });
	goro::after_func(GORO_SECOND, [] {});
	goro_ctx_after_func(goro_background(), fn, &a);
	goro::ctx_after_func(goro_background(), [] {});
	goro_synctest_run(nullptr, fn, &a);
	goro::synctest_run(nullptr, [] {});
	int v = 0;
	goro_case cs[] = { GORO_RECV(c, &v), GORO_SEND(c, &v) };
	return goro_select(cs, 2, true);
}
