/*
 * select.h — the one select engine (Go's selectgo) behind goro_select and
 * every blocking channel call with a deadline or a context.
 */
#ifndef GORO_SELECT_H
#define GORO_SELECT_H

#include "goro.h"
#include "internal.h"

/*
 * Runs a select over cases[0..n).  block=false: a default case.  deadline
 * (INT64_MAX: none): give up then.  done (NULL: none): also give up when
 * this channel becomes receivable (a context's Done channel).
 * Returns the chosen index, GORO_SELECT_DEFAULT, GORO_SELECT_TIMEDOUT or
 * GORO_SELECT_CANCELED.
 */
GORO_HIDDEN int goro__select(goro_case *cases, int n, bool block, int64_t deadline,
                             goro_chan *done);

#endif /* GORO_SELECT_H */
