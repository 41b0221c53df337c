/*
 * control.h - the daemon's local control socket.
 *
 * A Unix stream socket STATE_DIR/control.sock, mode 0600 (owner only). A client sends
 * one line ("ping", "status", "sync", "sync NAME", "wake") and reads the answer until
 * the server closes: a first line "ok" or "error MESSAGE", then an optional body.
 * One thread serves connections one at a time; commands are short.
 */
#ifndef BH_CONTROL_H
#define BH_CONTROL_H

struct bh_engine;
struct bh_control;

int bh_control_start(struct bh_engine *eng, const char *path, struct bh_control **out);
void bh_control_stop(struct bh_control *ctl);

/**
 * Client side: send cmd, return the whole answer (malloc'd) in *reply.
 * Returns 0, BH_ENOENT (no daemon listening), BH_EIO.
 */
int bh_control_request(const char *path, const char *cmd, char **reply);

#endif
