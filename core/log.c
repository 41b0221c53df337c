/*
 * log.c - one line per event (see log.h).
 *
 * Threading: the level is an atomic int; the secret list and output fd are guarded by
 * one mutex. Lines are formatted into a stack buffer and written with one write(2).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"

#define BH_LOG_LINE_MAX 4096
#define BH_LOG_SECRETS_MAX 64

static atomic_int log_level = BH_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = 2;
static char *log_secrets[BH_LOG_SECRETS_MAX];
static size_t log_n_secrets;

void bh_log_set_level(int level)
{
	atomic_store(&log_level, level);
}

int bh_log_get_level(void)
{
	return atomic_load(&log_level);
}

int bh_log_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return BH_EIO;
	pthread_mutex_lock(&log_lock);
	if (log_fd > 2)
		close(log_fd);
	log_fd = fd;
	pthread_mutex_unlock(&log_lock);
	return BH_OK;
}

void bh_log_add_secret(const char *value)
{
	if (!value || strlen(value) < 4)
		return;
	pthread_mutex_lock(&log_lock);
	if (log_n_secrets < BH_LOG_SECRETS_MAX) {
		char *dup = strdup(value);
		if (dup)
			log_secrets[log_n_secrets++] = dup;
	}
	pthread_mutex_unlock(&log_lock);
}

void bh_log_clear_secrets(void)
{
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < log_n_secrets; i++) {
		explicit_bzero(log_secrets[i], strlen(log_secrets[i]));
		free(log_secrets[i]);
	}
	log_n_secrets = 0;
	pthread_mutex_unlock(&log_lock);
}

/* Replace every registered secret in line (in place, bounded by cap). Caller holds lock. */
static void redact(char *line, size_t cap)
{
	static const char mark[] = "[REDACTED]";
	for (size_t i = 0; i < log_n_secrets; i++) {
		const char *s = log_secrets[i];
		size_t sl = strlen(s);
		char *p;
		while ((p = strstr(line, s)) != NULL) {
			size_t tail = strlen(p + sl);
			size_t ml = sizeof(mark) - 1;
			if ((size_t)(p - line) + ml + tail + 1 > cap)
				tail = cap - (size_t)(p - line) - ml - 1;
			memmove(p + ml, p + sl, tail);
			p[ml + tail] = '\0';
			memcpy(p, mark, ml);
		}
	}
}

static const char *level_name(int level)
{
	switch (level) {
	case BH_LOG_ERR: return "error";
	case BH_LOG_WARN: return "warn";
	case BH_LOG_NOTICE: return "notice";
	case BH_LOG_INFO: return "info";
	default: return "debug";
	}
}

void bh_vlog(int level, const char *subsys, const char *fmt, va_list ap)
{
	if (level > atomic_load(&log_level))
		return;
	char line[BH_LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, ts.tv_nsec / 1000000, level_name(level), subsys);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* one line per event: fold embedded newlines */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	pthread_mutex_lock(&log_lock);
	redact(line, sizeof(line) - 1);
	size_t len = strlen(line);
	line[len++] = '\n';
	ssize_t w = write(log_fd, line, len);
	(void)w;
	pthread_mutex_unlock(&log_lock);
}

void bh_log(int level, const char *subsys, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bh_vlog(level, subsys, fmt, ap);
	va_end(ap);
}
