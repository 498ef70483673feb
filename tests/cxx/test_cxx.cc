// goro from C++ (GoogleTest): the argument-copying macros with objects and
// pointers, lambdas, select cases, and C++ names in the reports (demangled,
// created-by lines at the caller's line).
#include <goro.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace cxxtest {

struct job {
	goro_chan *out;
	int n;
};

void square(void *p)
{
	job *j = static_cast<job *>(p);
	goro_send(j->out, j->n * j->n);
}

// Blocks forever on a channel nobody sends on (a leak, on purpose).
void stuck_receiver(void *p)
{
	goro_chan *c = *static_cast<goro_chan **>(p);
	int v;
	goro_chan_recv(c, &v);
}

int sum_of(goro_chan *c, int n)
{
	int total = 0, v;
	for (int i = 0; i < n; i++) {
		goro_chan_recv(c, &v);
		total += v;
	}
	return total;
}

std::string take_report(char *r)
{
	std::string s = r ? r : "";
	free(r);
	return s;
}

} // namespace cxxtest

using namespace cxxtest;

TEST(Go, CopiesObjectsAndPointedToObjects)
{
	goro_chan *out = goro_chan_new(int, 0);
	job j = { out, 2 };
	goro_go(square, &j);                // C's form: *(&j) is copied
	j.n = 100;                           // after the copy: not seen
	goro_go(square, job{ out, 3 });      // C++: the temporary is copied
	for (int i = 4; i <= 20; i++)        // many, across all workers
		goro_go(square, job{ out, i });
	int want = 0;
	for (int i = 2; i <= 20; i++)
		want += i * i;
	EXPECT_EQ(sum_of(out, 19), want);
	goro_chan_free(out);
}

TEST(Go, Lambdas)
{
	goro_chan *out = goro_chan_new(int, 0);
	for (int i = 1; i <= 50; i++)
		goro::go([=] { goro_send(out, i); });
	EXPECT_EQ(sum_of(out, 50), 50 * 51 / 2);

	goro_waitgroup wg = {};
	goro_chan *done = goro_chan_new(int, 100);
	for (int i = 0; i < 100; i++)
		goro::waitgroup_go(&wg, [=] { goro_send(done, i); });
	goro_waitgroup_wait(&wg);
	EXPECT_EQ(goro_chan_len(done), 100u);

	goro_chan *fired = goro_chan_new(int, 1);
	goro::after_func(GORO_MILLISECOND, [=] { goro_send(fired, 7); });
	int v = 0;
	goro_chan_recv(fired, &v);
	EXPECT_EQ(v, 7);
}

TEST(Select, CasesFromMacros)
{
	goro_chan *a = goro_chan_new(int, 1), *b = goro_chan_new(int, 1);
	int x = 5, got = 0;
	goro_case cases[] = { GORO_RECV(a, &got), GORO_SEND(b, &x) };
	EXPECT_EQ(goro_select(cases, 2, false), 1);   // b has room, a is empty
	goro_send(a, 9);
	cases[1] = GORO_SEND(static_cast<goro_chan *>(nullptr), &x); // never ready
	EXPECT_EQ(goro_select(cases, 2, false), 0);
	EXPECT_EQ(got, 9);
	EXPECT_TRUE(cases[0].ok);
}

TEST(Synctest, LambdaBubbleReportsLeakWithCxxNames)
{
	goro_bubble_result res;
	int st = goro::synctest_run(&res, [] {
		goro_chan *c = goro_chan_new(int, 0);
		goro_go(stuck_receiver, &c);
	});
	ASSERT_EQ(st, GORO_BUBBLE_LEAKED);
	ASSERT_EQ(res.nblocked, 1);
	EXPECT_STREQ(res.blocked[0].function, "cxxtest::stuck_receiver");
	EXPECT_STREQ(res.blocked[0].start_function, "cxxtest::stuck_receiver");
	std::string report = res.report;
	EXPECT_NE(report.find("cxxtest::stuck_receiver()"), std::string::npos) << report;
	EXPECT_EQ(report.find("_ZN"), std::string::npos) << report;
	goro_bubble_result_free(&res);
}

TEST(Reports, GoleakAndDumpsAreDemangled)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(stuck_receiver, &c); int create_line = __LINE__;
	goro_leak_opts *o = goro_leak_opts_new();
	goro_leak_max_wait(o, 200 * GORO_MILLISECOND);
	char *r = nullptr;
	EXPECT_EQ(goro_leak_find(o, &r), 1);
	std::string report = take_report(r);
	EXPECT_NE(report.find("with cxxtest::stuck_receiver on top of the stack"),
	          std::string::npos) << report;
	// created by the test body, at this file's line (not goro_cxx.h's)
	std::string site = "test_cxx.cc:" + std::to_string(create_line);
	EXPECT_NE(report.find(site), std::string::npos) << report;
	EXPECT_EQ(report.find("goro_cxx.h"), std::string::npos) << report;

	// goleak's IgnoreTopFunction takes the C++ name
	goro_leak_ignore_top_function(o, "cxxtest::stuck_receiver");
	EXPECT_EQ(goro_leak_find(o, nullptr), 0);
	goro_leak_opts_free(o);

	char *buf = nullptr;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	goro_profile_write("goroutine", f, 2);
	fclose(f);
	std::string dump = take_report(buf);
	EXPECT_NE(dump.find("cxxtest::stuck_receiver()"), std::string::npos) << dump;
	EXPECT_EQ(dump.find("_ZN7cxxtest"), std::string::npos) << dump;

	goro_chan_close(c); // lets it finish
}
