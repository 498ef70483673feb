// GoogleTest recipe: goro's leak check and synctest assertion fail the
// current test, and the runner goes on to the next one.
//
// The test-failure hook reports through ADD_FAILURE_AT (a non-fatal
// failure at the assertion's file and line, with goro's report) and
// returns, so the test goes on.  All tests run in one process: the fixture
// snapshots the goroutines alive in SetUp (goro_leak_ignore_current) and
// asserts in TearDown that nothing else is left.
#include <goro.h>

#include <gtest/gtest.h>

namespace {

void gtest_fail(const char *report, const char *file, int line, void *)
{
	ADD_FAILURE_AT(file, line) << report;
}

class GoroTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		opts_ = goro_leak_opts_new();
		goro_leak_ignore_current(opts_);
	}
	void TearDown() override
	{
		GORO_LEAK_ASSERT_NONE(opts_);
		goro_leak_opts_free(opts_);
	}
	goro_leak_opts *opts_ = nullptr;
};

void receive_forever(void *arg)
{
	goro_chan *c = *static_cast<goro_chan **>(arg);
	int v;
	goro_chan_recv(c, &v);
}

// The bubble's root starts a goroutine that never gets its value.
void leaky_root(void *)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(receive_forever, &c);
}

} // namespace

TEST_F(GoroTest, leaking_test)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(receive_forever, &c);        // TearDown's check fails the test
}

TEST_F(GoroTest, deadlocked_bubble)
{
	char none = 0;
	GORO_SYNCTEST_ASSERT(leaky_root, &none);   // fails the test, which goes on
	SUCCEED() << "after the failed assertion";
}

TEST_F(GoroTest, clean_test)
{
	goro_chan *c = goro_chan_new(int, 0);
	goro::go([=] { goro_send(c, 1); });
	int v = 0;
	goro_chan_recv(c, &v);
	EXPECT_EQ(v, 1);
}

TEST_F(GoroTest, later_test)
{
	goro_chan *c = goro_chan_new(int, 1);
	goro::synctest_run(nullptr, [=] { goro_send(c, 1); });
	EXPECT_EQ(goro_chan_len(c), 1u);
}

int main(int argc, char **argv)
{
	::testing::InitGoogleTest(&argc, argv);
	goro_set_test_fail(gtest_fail, nullptr);
	return RUN_ALL_TESTS();
}
