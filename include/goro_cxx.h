/*
 * goro_cxx.h — goro from C++ (C++11 to C++20).  Part of goro.h: include
 * that; this file is included at its end when __cplusplus is defined.
 *
 * The argument-copying macros keep their C names and meaning: the argument
 * object is COPIED onto the new goroutine's stack (see goro_go in goro.h)
 * and fn receives a pointer to the copy.  In C++ the argument may be a
 * pointer to the object, as in C, or the object itself, which replaces C's
 * compound literal (C++ cannot take the address of a temporary):
 *
 *     goro_go(worker, &w);                       // copies w
 *     goro_go(worker, work{ch, 3});              // copies the temporary
 *     goro_go(worker, work{.ch = ch, .n = 3});   // C++20 designators
 *
 * The copy is a byte copy, made before the call returns, so the object's
 * type must be trivially copyable (checked at compile time).
 *
 * Lambdas, the closures of C++: goro::go([=] { ... }) starts a goroutine
 * running a copy of the lambda (captures by value, of trivially copyable
 * types: pointers, integers, PODs), so what the goroutine uses lives on its
 * own stack as with goro_go.  goro::waitgroup_go, goro::after_func,
 * goro::ctx_after_func and goro::synctest_run take lambdas the same way.
 * An exception must not leave a goroutine: the trampoline is noexcept, so
 * one that does calls std::terminate (as an unrecovered Go panic ends the
 * program).
 */
#ifndef GORO_CXX_H
#define GORO_CXX_H

#include <type_traits>

namespace goro {
namespace detail {

/* What the argument-copying calls copy: an address and a size. */
struct arg_copy {
	const void *ptr;
	size_t size;
};

/* A pointer argument (C's form): the object it points to is copied. */
template <class T> inline arg_copy copy_arg(T *p)
{
	static_assert(!std::is_void<T>::value,
	              "goro: the argument must point to an object (it is copied)");
	static_assert(std::is_trivially_copyable<T>::value,
	              "goro: the argument object is copied bytewise: it must be trivially copyable");
	arg_copy a = { p, sizeof(T) };
	return a;
}

/* An object argument: copied itself.  A temporary lives until the end of
 * the full expression, after the goroutine got its copy. */
template <class T> inline arg_copy copy_arg(const T &v)
{
	static_assert(std::is_trivially_copyable<T>::value,
	              "goro: the argument object is copied bytewise: it must be trivially copyable");
	arg_copy a = { &v, sizeof(T) };
	return a;
}

/* Runs the copy of a lambda (or any callable) on the goroutine's stack. */
template <class F> inline void call(void *p) noexcept
{
	(*static_cast<F *>(p))();
}

template <class F> inline arg_copy copy_callable(const F &f)
{
	static_assert(std::is_trivially_copyable<F>::value,
	              "goro: a lambda is copied bytewise onto the goroutine's stack: capture "
	              "by value, only trivially copyable things (pointers, integers, PODs)");
	arg_copy a = { &f, sizeof(F) };
	return a;
}

inline goro_case make_case(goro_chan *c, int dir, void *elem)
{
	goro_case k;
	k.chan = c;
	k.dir = dir;
	k.elem = elem;
	k.ok = false;
	return k;
}

template <class T> inline void send(goro_chan *c, T v)
{
	goro_chan_send_sized_(c, &v, sizeof v);
}

} /* namespace detail */

/* go f(): a goroutine running a copy of f. */
template <class F> __attribute__((always_inline)) inline int64_t go(const F &f)
{
	detail::arg_copy a = detail::copy_callable(f);
	return goro_go_(&detail::call<F>, a.ptr, a.size);
}

/* wg.Go(f). */
template <class F> __attribute__((always_inline)) inline int64_t waitgroup_go(goro_waitgroup *wg, const F &f)
{
	detail::arg_copy a = detail::copy_callable(f);
	return goro_waitgroup_go_(wg, &detail::call<F>, a.ptr, a.size);
}

/* time.AfterFunc(d, f). */
template <class F> __attribute__((always_inline)) inline goro_timer *after_func(goro_duration d, const F &f)
{
	detail::arg_copy a = detail::copy_callable(f);
	return goro_after_func_(d, &detail::call<F>, a.ptr, a.size);
}

/* context.AfterFunc(ctx, f). */
template <class F> __attribute__((always_inline)) inline goro_ctx_afterfunc *ctx_after_func(goro_ctx *ctx, const F &f)
{
	detail::arg_copy a = detail::copy_callable(f);
	return goro_ctx_after_func_(ctx, &detail::call<F>, a.ptr, a.size);
}

/* synctest.Test(t, f): f is the bubble's root.  res may be NULL. */
template <class F> __attribute__((always_inline)) inline int synctest_run(goro_bubble_result *res, const F &f)
{
	detail::arg_copy a = detail::copy_callable(f);
	return goro_synctest_run_(&detail::call<F>, a.ptr, a.size, res);
}

} /* namespace goro */

#define goro_go(fn, ...)                                                     \
	goro_go_cxx_((fn), ::goro::detail::copy_arg(__VA_ARGS__))
#define goro_ctx_after_func(ctx, fn, ...)                                    \
	goro_ctx_after_func_cxx_((ctx), (fn), ::goro::detail::copy_arg(__VA_ARGS__))
#define goro_waitgroup_go(wg, fn, ...)                                       \
	goro_waitgroup_go_cxx_((wg), (fn), ::goro::detail::copy_arg(__VA_ARGS__))
#define goro_after_func(d, fn, ...)                                          \
	goro_after_func_cxx_((d), (fn), ::goro::detail::copy_arg(__VA_ARGS__))
#define goro_synctest_run(res, fn, ...)                                      \
	goro_synctest_run_cxx_((res), (fn), ::goro::detail::copy_arg(__VA_ARGS__))
#define goro_send(c, v) ::goro::detail::send((c), (v))
#define GORO_RECV(c, p) ::goro::detail::make_case((c), GORO_CASE_RECV, (p))
#define GORO_SEND(c, p) ::goro::detail::make_case((c), GORO_CASE_SEND, (void *)(p))

/* The macros' targets: the C entry points with the copy unpacked.  Always
 * inlined (also at -O0), so the goroutine's creation site is the caller's
 * function; the symbolizer takes the line from the inlining record. */
#define GORO_CXX_INLINE_ __attribute__((always_inline)) inline
GORO_CXX_INLINE_ int64_t goro_go_cxx_(goro_fn fn, ::goro::detail::arg_copy a)
{
	return goro_go_(fn, a.ptr, a.size);
}
GORO_CXX_INLINE_ goro_ctx_afterfunc *goro_ctx_after_func_cxx_(goro_ctx *ctx, goro_fn fn,
                                                    ::goro::detail::arg_copy a)
{
	return goro_ctx_after_func_(ctx, fn, a.ptr, a.size);
}
GORO_CXX_INLINE_ int64_t goro_waitgroup_go_cxx_(goro_waitgroup *wg, goro_fn fn,
                                      ::goro::detail::arg_copy a)
{
	return goro_waitgroup_go_(wg, fn, a.ptr, a.size);
}
GORO_CXX_INLINE_ goro_timer *goro_after_func_cxx_(goro_duration d, goro_fn fn,
                                        ::goro::detail::arg_copy a)
{
	return goro_after_func_(d, fn, a.ptr, a.size);
}
GORO_CXX_INLINE_ int goro_synctest_run_cxx_(goro_bubble_result *res, goro_fn fn,
                                  ::goro::detail::arg_copy a)
{
	return goro_synctest_run_(fn, a.ptr, a.size, res);
}

#endif /* GORO_CXX_H */
