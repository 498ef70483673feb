/*
 * exit_pipeline.c — run with GORO_LEAKCHECK=1: main returns while a
 * pipeline is still in flight.  The producer sends 10 items, 10 ms apart;
 * the consumer takes 5 and returns, so once the pipeline has run its
 * course the producer is blocked for good on its 6th send: one leak, which
 * a check run at once (the producer still sleeping, a root) cannot see.
 */
#include <stdio.h>

#include <goro.h>

static void producer(void *p)
{
	goro_chan *c = *(goro_chan **)p;
	for (int i = 0; i < 10; i++) {
		goro_sleep(10 * GORO_MILLISECOND);
		goro_chan_send(c, &i);
	}
}

static void consumer(void *p)
{
	goro_chan *c = *(goro_chan **)p;
	for (int i = 0; i < 5; i++) {
		int v;
		goro_chan_recv(c, &v);
	}
}

/* On a goroutine of its own: main's stack never holds the channel. */
static void start(void *p)
{
	(void)p;
	goro_chan *c = goro_chan_new(int, 0);
	goro_go(producer, &c);
	goro_go(consumer, &c);
}

int main(void)
{
	goro_go(start, &(int){ 0 });
	puts("main returns with the pipeline in flight");
	return 0;
}
