/* C++ names in reports: the demangled name cut to the qualified name. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "trace/demangle.h"

static void expect_name(const char *demangled, const char *want)
{
	char *s = strdup(demangled);
	goro__demangled_name_only(s);
	cr_expect_str_eq(s, want, "%s -> %s, want %s", demangled, s, want);
	free(s);
}

Test(demangle, name_only)
{
	expect_name("app::gather_func1(void*)", "app::gather_func1");
	expect_name("app::W::run() const", "app::W::run");
	expect_name("void app::f<int>(int)", "app::f<int>");
	expect_name("std::vector<int, std::allocator<int> >::push_back(int const&)",
	            "std::vector<int, std::allocator<int> >::push_back");
	expect_name("main::{lambda()#1}::operator()() const", "main::{lambda()#1}::operator()");
	expect_name("(anonymous namespace)::worker(void*)", "(anonymous namespace)::worker");
	expect_name("operator new(unsigned long)", "operator new");
	expect_name("void goro::detail::call<main::{lambda()#1}>(void*)", "main::{lambda()#1}");
	expect_name("app::S::operator<(app::S const&) const", "app::S::operator<");
	expect_name("plain_c_name", "plain_c_name");
}

Test(demangle, not_cxx)
{
	cr_expect_null(goro__demangle("gather_func1", 12));
	cr_expect_null(goro__demangle("_Z", 2));
}
