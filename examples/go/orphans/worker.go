package main

import "sync"

// A worker processes a queue of items one by one in the background.
// A started worker must eventually be stopped.
// Failing to stop a worker results in a goroutine leak.
//
// Two goroutines run the queue (as in the article's output, which shows two
// leaked (*Worker).run goroutines created by (*Worker).Start.func1).
type Worker struct {
	once  sync.Once      // Start launches the goroutines once
	queue chan any       // Push hands items to a run goroutine
	done  chan struct{}  // closed by Stop
	wg    sync.WaitGroup // counts live run goroutines, for Stop
}

// NewWorker creates a new worker.
func NewWorker() *Worker {
	return &Worker{
		queue: make(chan any),
		done:  make(chan struct{}),
	}
}

// Start starts the processing.
func (w *Worker) Start() {
	w.once.Do(func() {
		w.wg.Add(2)
		go w.run()
		go w.run()
	})
}

// Stop stops the processing and waits for the goroutines to exit.
// Call it once.
func (w *Worker) Stop() {
	close(w.done)
	w.wg.Wait()
}

// Push adds an item to the processing queue. It blocks until a run
// goroutine takes the item.
func (w *Worker) Push(item any) {
	w.queue <- item
}

// run processes items until Stop. Without Stop it blocks forever in the
// select once the queue is empty: that is the leak.
func (w *Worker) run() {
	defer w.wg.Done()
	for {
		select {
		case item := <-w.queue:
			_ = item // process the item
		case <-w.done:
			return
		}
	}
}
