/*
 * logging.h — minicriterion's cr_log_*: a line on the test's stderr,
 * which the runner prints with the test's verdict.
 */
#ifndef MINICRITERION_LOGGING_H
#define MINICRITERION_LOGGING_H

void mc_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cr_log_info(...) mc_log("info", __VA_ARGS__)
#define cr_log_warn(...) mc_log("warning", __VA_ARGS__)
#define cr_log_error(...) mc_log("error", __VA_ARGS__)

#endif /* MINICRITERION_LOGGING_H */
