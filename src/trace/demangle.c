/*
 * demangle.c — C++ names for the reports (see demangle.h).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "trace/demangle.h"

typedef char *(*cxa_demangle_fn)(const char *mangled, char *buf, size_t *len,
                                 int *status);

/* libstdc++'s demangler when the process has it (every C++ program does),
 * looked up once; goro itself links no C++ runtime. */
static cxa_demangle_fn demangler(void)
{
	static cxa_demangle_fn fn;
	static bool done;

	if (!done) {
		fn = (cxa_demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
		done = true;
	}
	return fn;
}

static bool is_qualifier_char(char c)
{
	return c == ' ' || c == '&' || (c >= 'a' && c <= 'z');
}

/* Index of the '(' opening the parameter list that ends at close (a ')'),
 * or -1. */
static long params_open(const char *s, long close)
{
	int depth = 0;

	for (long i = close; i >= 0; i--) {
		if (s[i] == ')' || s[i] == '>' || s[i] == ']')
			depth++;
		else if (s[i] == '(' || s[i] == '<' || s[i] == '[')
			depth--;
		if (depth == 0)
			return i;
	}
	return -1;
}

/* Whether s[0..at) ends with the word "operator" (a space inside an
 * operator's name, "operator new", is not a return type's end). */
static bool after_operator(const char *s, long at)
{
	static const char op[] = "operator";
	long n = sizeof op - 1;

	return at >= n && strncmp(s + at - n, op, n) == 0;
}

void goro__demangled_name_only(char *s)
{
	long len = (long)strlen(s), close = len - 1;

	/* " const", " &&", " volatile" after the parameter list. */
	while (close >= 0 && s[close] != ')' && is_qualifier_char(s[close]))
		close--;
	if (close < 0 || s[close] != ')')
		return; /* not a function (a variable, or a bare name) */
	long open = params_open(s, close);
	if (open <= 0)
		return;
	s[open] = '\0';
	/* A template function's return type: "void app::f<int>" -> "app::f<int>".
	 * The last space outside <...>, (...) and {...} ends it. */
	long cut = -1;
	int depth = 0;
	for (long i = 0; i < open; i++) {
		char c = s[i];
		if (c == '<' || c == '(' || c == '{' || c == '[')
			depth++;
		else if (c == '>' || c == ')' || c == '}' || c == ']')
			depth--;
		else if (c == ' ' && depth == 0 && !after_operator(s, i))
			cut = i;
	}
	if (cut >= 0)
		memmove(s, s + cut + 1, strlen(s + cut + 1) + 1);
	/* goro::go(lambda)'s trampoline (goro_cxx.h) is named after the
	 * lambda it runs, usually inlined into it: "main::{lambda()#1}". */
	static const char tramp[] = "goro::detail::call<";
	size_t t = sizeof tramp - 1, n = strlen(s);
	if (n > t + 1 && strncmp(s, tramp, t) == 0 && s[n - 1] == '>') {
		memmove(s, s + t, n - t - 1);
		s[n - t - 1] = '\0';
	}
}

char *goro__demangle(const char *mangled, size_t n)
{
	cxa_demangle_fn fn;

	if (n < 3 || strncmp(mangled, "_Z", 2) != 0 || (fn = demangler()) == NULL)
		return NULL;
	char *copy = strndup(mangled, n);
	if (copy == NULL)
		return NULL;
	int status = -1;
	char *out = fn(copy, NULL, NULL, &status);
	free(copy);
	if (status != 0 || out == NULL) {
		free(out);
		return NULL;
	}
	goro__demangled_name_only(out);
	return out;
}
