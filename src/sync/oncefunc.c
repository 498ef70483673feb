/*
 * oncefunc.c — sync.OnceFunc, OnceValue, OnceValues: a function (and its
 * results) that runs at most once, however many goroutines call it.
 *
 * Each is a goro_once plus what it runs and what it returned.  The first
 * caller runs fn under the Once; it forgets fn and arg afterwards (Go
 * drops its reference to f after the first call, so whatever f holds is no
 * longer kept alive by the wrapper: here the leak detector stops seeing
 * arg through it).  Every later call returns what the first one stored,
 * published by the Once's release store of `done`.  A call that ends in
 * goro_exit inside fn leaves the Once as goro_once_do leaves it.
 */
#include "sched/sched.h"

static void once_func_run(void *p)
{
	goro_once_func *f = p;
	goro_fn fn = f->fn;
	void *arg = f->arg;
	f->fn = NULL;
	f->arg = NULL;
	if (fn)
		fn(arg);
}

GORO_API void goro_once_func_call(goro_once_func *f)
{
	goro_once_do(&f->once_, once_func_run, f);
}

static void once_value_run(void *p)
{
	goro_once_value *v = p;
	void *(*fn)(void *) = v->fn;
	void *arg = v->arg;
	v->fn = NULL;
	v->arg = NULL;
	v->value_ = fn ? fn(arg) : NULL;
}

GORO_API void *goro_once_value_get(goro_once_value *v)
{
	goro_once_do(&v->once_, once_value_run, v);
	return v->value_;
}

static void once_values_run(void *p)
{
	goro_once_values *v = p;
	void *(*fn)(void *, int *) = v->fn;
	void *arg = v->arg;
	v->fn = NULL;
	v->arg = NULL;
	int err = 0;
	v->value_ = fn ? fn(arg, &err) : NULL;
	v->err_ = err;
}

GORO_API void *goro_once_values_get(goro_once_values *v, int *err)
{
	goro_once_do(&v->once_, once_values_run, v);
	if (err)
		*err = v->err_;
	return v->value_;
}
