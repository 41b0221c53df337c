/*
 * control.c - control socket server (daemon) and client (CLI). See control.h.
 *
 * Threading: one server thread; it calls engine functions that take eng->lock.
 * The socket is created with umask 077 and chmod 0600; a stale socket file from a
 * crashed daemon is replaced only when nothing answers on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "engine.h"
#include "err.h"
#include "log.h"

#define SUB "control"

struct bh_control {
	struct bh_engine *eng;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	int stop_pipe[2];
	pthread_t thread;
};

static void write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, s, len);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return;
		}
		s += w;
		len -= (size_t)w;
	}
}

static void serve(struct bh_control *ctl, int cfd)
{
	char buf[512];
	size_t len = 0;
	struct pollfd pfd = {.fd = cfd, .events = POLLIN};
	while (len < sizeof(buf) - 1 && poll(&pfd, 1, 2000) > 0) {
		ssize_t r = read(cfd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	if (strcmp(buf, "ping") == 0) {
		write_all(cfd, "ok\npong\n", 8);
	} else if (strcmp(buf, "status") == 0) {
		char *js = bh_engine_status_json(ctl->eng);
		write_all(cfd, "ok\n", 3);
		if (js) {
			write_all(cfd, js, strlen(js));
			write_all(cfd, "\n", 1);
		}
		free(js);
	} else if (strncmp(buf, "sync", 4) == 0 && (buf[4] == '\0' || buf[4] == ' ')) {
		const char *name = buf[4] ? buf + 5 : NULL;
		int rc = bh_engine_sync_now(ctl->eng, name && *name ? name : NULL);
		if (rc == 0) {
			write_all(cfd, "ok\n", 3);
		} else {
			char e[256];
			int n = snprintf(e, sizeof(e), "error no polling source named '%s'\n",
					 name ? name : "*");
			write_all(cfd, e, (size_t)n);
		}
	} else if (strcmp(buf, "wake") == 0) {
		bh_engine_wake(ctl->eng);
		write_all(cfd, "ok\n", 3);
	} else {
		write_all(cfd, "error unknown command\n", 22);
	}
}

static void *control_main(void *arg)
{
	struct bh_control *ctl = arg;
	for (;;) {
		struct pollfd p[2] = {{.fd = ctl->fd, .events = POLLIN},
				      {.fd = ctl->stop_pipe[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN) {
			int cfd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC);
			if (cfd >= 0) {
				serve(ctl, cfd);
				close(cfd);
			}
		}
	}
	return NULL;
}

int bh_control_start(struct bh_engine *eng, const char *path, struct bh_control **out)
{
	struct bh_control *ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return BH_ENOMEM;
	ctl->eng = eng;
	ctl->fd = -1;
	if (strlen(path) >= sizeof(ctl->path)) {
		free(ctl);
		return BH_ETOOBIG;
	}
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	/* Refuse to steal the socket of a live daemon. */
	char *pong = NULL;
	if (bh_control_request(path, "ping", &pong) == 0) {
		free(pong);
		BH_LOG_ERROR(SUB, "another daemon answers on %s", path);
		free(ctl);
		return BH_EBUSY;
	}
	unlink(path);
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0 || pipe2(ctl->stop_pipe, O_CLOEXEC) != 0)
		goto fail;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	mode_t old = umask(077);
	int brc = bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (brc != 0 || chmod(path, 0600) != 0 || listen(ctl->fd, 16) != 0)
		goto fail;
	if (pthread_create(&ctl->thread, NULL, control_main, ctl) != 0)
		goto fail;
	*out = ctl;
	return BH_OK;
fail:;
	int e = errno;
	if (ctl->fd >= 0)
		close(ctl->fd);
	free(ctl);
	return bh_err_from_errno(e);
}

void bh_control_stop(struct bh_control *ctl)
{
	if (!ctl)
		return;
	write_all(ctl->stop_pipe[1], "x", 1);
	pthread_join(ctl->thread, NULL);
	close(ctl->fd);
	close(ctl->stop_pipe[0]);
	close(ctl->stop_pipe[1]);
	unlink(ctl->path);
	free(ctl);
}

int bh_control_request(const char *path, const char *cmd, char **reply)
{
	*reply = NULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return BH_ETOOBIG;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return BH_EIO;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return BH_ENOENT;
	}
	write_all(fd, cmd, strlen(cmd));
	write_all(fd, "\n", 1);
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return BH_ENOMEM;
	}
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	while (poll(&pfd, 1, 10000) > 0) {
		if (len + 1024 > cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	close(fd);
	*reply = buf;
	return len ? BH_OK : BH_EIO;
}
