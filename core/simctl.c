/*
 * simctl.c - a client for backhaul-sim and a running daemon (see simctl.h).
 *
 * Ownership and threading: see simctl.h.
 */
#include "simctl.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

int64_t bh_sc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bh_sc_nap(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ files */

char *bh_sc_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, chunk[8192];
	size_t len = 0, r;
	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	while (m && (r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, r, m);
	if (m)
		fclose(m);
	fclose(f);
	return buf;
}

int bh_sc_write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	size_t n = strlen(text);
	ssize_t w = write(fd, text, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

bool bh_sc_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int bh_sc_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

void bh_sc_plugin_path_from_build(const char *builddir)
{
	char plugins[1100], *path = NULL;
	size_t len = 0;
	bool first = true;
	if (getenv("BH_PLUGIN_PATH"))
		return;
	snprintf(plugins, sizeof(plugins), "%s/plugins", builddir);
	if (!bh_sc_is_dir(plugins))
		return;
	FILE *m = open_memstream(&path, &len);
	DIR *dir = opendir(plugins);
	struct dirent *e;
	while (m && dir && (e = readdir(dir)) != NULL) {
		char p[1400];
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/.libs", plugins, e->d_name);
		if (bh_sc_is_dir(p)) {
			fprintf(m, "%s%s", first ? "" : ":", p);
			first = false;
		}
	}
	if (dir)
		closedir(dir);
	if (m)
		fclose(m);
	if (path && *path)
		setenv("BH_PLUGIN_PATH", path, 1);
	free(path);
}

/* ------------------------------------------------------------------ HTTP */

struct body {
	char *p;
	size_t n;
};

static size_t on_body(char *data, size_t s, size_t n, void *u)
{
	struct body *b = u;
	char *np = realloc(b->p, b->n + s * n + 1);
	if (!np)
		return 0;
	b->p = np;
	memcpy(b->p + b->n, data, s * n);
	b->n += s * n;
	b->p[b->n] = '\0';
	return s * n;
}

long bh_sc_http(const char *method, const char *url, const char *const *hdrs, const char *body,
		char **resp)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct body b = {NULL, 0};
	long code = 0;
	if (resp)
		*resp = NULL;
	if (!c)
		return 0;
	bool typed = false;
	for (size_t i = 0; hdrs && hdrs[i]; i++) {
		hl = curl_slist_append(hl, hdrs[i]);
		typed = typed || strncasecmp(hdrs[i], "Content-Type:", 13) == 0;
	}
	if (!typed)
		hl = curl_slist_append(hl, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (resp)
		*resp = b.p;
	else
		free(b.p);
	return code;
}

long bh_sc_ctl(int port, const char *method, const char *path, const char *body,
	       json_object **out)
{
	char url[1024], *resp = NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	long code = bh_sc_http(method, url, NULL, body, &resp);
	if (out)
		*out = resp ? json_tokener_parse(resp) : NULL;
	free(resp);
	return code;
}

/* ------------------------------------------------------------------ JSON and money */

json_object *bh_sc_get(json_object *o, const char *path)
{
	char key[128];
	const char *p = path;
	while (o && p && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (json_object_is_type(o, json_type_array)) {
			char *end;
			long i = strtol(key, &end, 10);
			if (*end || i < 0 || (size_t)i >= json_object_array_length(o))
				return NULL;
			o = json_object_array_get_idx(o, (size_t)i);
		} else if (!json_object_is_type(o, json_type_object) ||
			   !json_object_object_get_ex(o, key, &o)) {
			return NULL;
		}
		p = dot ? dot + 1 : NULL;
	}
	return o;
}

const char *bh_sc_str(json_object *o, const char *path)
{
	json_object *v = bh_sc_get(o, path);
	return v && !json_object_is_type(v, json_type_null) ? json_object_get_string(v) : NULL;
}

int64_t bh_sc_int(json_object *o, const char *path, int64_t def)
{
	json_object *v = bh_sc_get(o, path);
	if (!v)
		return def;
	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	if (json_object_is_type(v, json_type_string)) {
		char *end;
		errno = 0;
		long long x = strtoll(json_object_get_string(v), &end, 10);
		return (*end || errno || end == json_object_get_string(v)) ? def : (int64_t)x;
	}
	return def;
}

int64_t bh_sc_cents(const char *s)
{
	int64_t units = 0, cents = 0;
	int neg = 0, digits = 0, dec = -1;
	if (!s)
		return INT64_MIN;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s; s++) {
		if (*s == '.' && dec < 0) {
			dec = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || dec >= 2)
			return INT64_MIN; /* not a digit, or more than two decimals */
		if (dec < 0) {
			units = units * 10 + (*s - '0');
			digits++;
		} else {
			cents = cents * 10 + (*s - '0');
			dec++;
		}
	}
	if (!digits && dec <= 0)
		return INT64_MIN;
	if (dec == 1)
		cents *= 10;
	int64_t v = units * 100 + cents;
	return neg ? -v : v;
}

void bh_sc_fmt_cents(int64_t v, char *buf, size_t len)
{
	int64_t a = v < 0 ? -v : v;
	snprintf(buf, len, "%s%lld.%02lld", v < 0 ? "-" : "", (long long)(a / 100),
		 (long long)(a % 100));
}

/* ------------------------------------------------------------------ processes */

pid_t bh_sc_spawn(const char *out_path, const char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		/* the child goes when this process goes (a killed test or demo leaves none) */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

void bh_sc_reap(pid_t pid, int sig, int timeout_ms)
{
	int st;
	if (pid <= 0)
		return;
	kill(pid, sig);
	for (int64_t dl = bh_sc_now_ms() + timeout_ms; bh_sc_now_ms() < dl; bh_sc_nap(10))
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

int bh_sc_read_ports(const char *path, struct bh_sc_ports *p)
{
	char *text = bh_sc_read_file(path);
	json_object *o = text ? json_tokener_parse(text) : NULL;
	free(text);
	if (!o)
		return -1;
	p->shopify = (int)bh_sc_int(o, "shopify", 0);
	p->loop = (int)bh_sc_int(o, "loop", 0);
	p->netsuite = (int)bh_sc_int(o, "netsuite", 0);
	p->control = (int)bh_sc_int(o, "control", 0);
	json_object_put(o);
	return p->control ? 0 : -1;
}

/* ------------------------------------------------------------------ the daemon */

json_object *bh_sc_status(const char *sock)
{
	char *reply = NULL;
	json_object *o = NULL;
	if (bh_control_request(sock, "status", &reply) == 0 && reply &&
	    strncmp(reply, "ok", 2) == 0) {
		const char *nl = strchr(reply, '\n');
		o = nl ? json_tokener_parse(nl + 1) : NULL;
	}
	free(reply);
	return o;
}

static int64_t polls_of(json_object *s, const char *name)
{
	json_object *insts = bh_sc_get(s, "instances");
	for (size_t i = 0; insts && i < json_object_array_length(insts); i++) {
		json_object *in = json_object_array_get_idx(insts, i);
		const char *n = bh_sc_str(in, "name");
		if (n && strcmp(n, name) == 0)
			return bh_sc_int(in, "polls", -1);
	}
	return -1;
}

int bh_sc_sync(const char *sock, const char *source, int timeout_ms)
{
	static const char *const all[] = {"shopify", "loop", "netsuite", NULL};
	const char *one[] = {source, NULL};
	const char *const *names = source ? one : all;
	int64_t before[3] = {0, 0, 0};
	json_object *s = bh_sc_status(sock);
	for (int i = 0; names[i]; i++)
		before[i] = polls_of(s, names[i]);
	json_object_put(s);
	char cmd[64], *reply = NULL;
	snprintf(cmd, sizeof(cmd), "sync%s%s", source ? " " : "", source ? source : "");
	int rc = bh_control_request(sock, cmd, &reply);
	bool accepted = rc == 0 && reply && strncmp(reply, "ok", 2) == 0;
	free(reply);
	if (!accepted)
		return -1;
	for (int64_t dl = bh_sc_now_ms() + timeout_ms; bh_sc_now_ms() < dl; bh_sc_nap(20)) {
		bool done = true;
		s = bh_sc_status(sock);
		for (int i = 0; names[i]; i++)
			if (polls_of(s, names[i]) <= before[i])
				done = false;
		json_object_put(s);
		if (done)
			return 0;
	}
	return -1;
}

static bool engine_idle(const char *sock, bool allow_retrying, int64_t *acked)
{
	json_object *s = bh_sc_status(sock);
	json_object *insts = bh_sc_get(s, "instances"), *flows = bh_sc_get(s, "outbox.flows");
	bool idle = s != NULL;
	for (size_t i = 0; idle && insts && i < json_object_array_length(insts); i++)
		if (bh_sc_int(json_object_array_get_idx(insts, i), "inflight", 0) > 0)
			idle = false;
	for (size_t i = 0; idle && flows && i < json_object_array_length(flows); i++)
		if (bh_sc_int(json_object_array_get_idx(flows, i),
			      allow_retrying ? "due_now" : "queued", 0) > 0)
			idle = false;
	*acked = bh_sc_int(s, "outbox.acked_total", -1);
	json_object_put(s);
	return idle;
}

static bool idle_member(int port, const char *path)
{
	json_object *o = NULL;
	bool idle = bh_sc_ctl(port, "GET", path, NULL, &o) == 200 &&
		    json_object_get_boolean(bh_sc_get(o, "idle"));
	json_object_put(o);
	return idle;
}

static bool sims_idle(int port)
{
	return idle_member(port, "/control/webhooks?wait_ms=2000") &&
	       idle_member(port, "/control/loop/idle");
}

int bh_sc_settle(const char *sock, int control_port, int timeout_ms, bool allow_retrying)
{
	int64_t last = -2, acked;
	int stable = 0;
	for (int64_t dl = bh_sc_now_ms() + timeout_ms; bh_sc_now_ms() < dl; bh_sc_nap(30)) {
		if (sims_idle(control_port) && engine_idle(sock, allow_retrying, &acked) &&
		    sims_idle(control_port)) {
			/* quiet twice in a row with nothing acknowledged in between */
			if (acked == last && ++stable >= 2)
				return 0;
			last = acked;
		} else {
			stable = 0;
			last = -2;
		}
	}
	return -1;
}
