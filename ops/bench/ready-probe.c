/* ready-probe PORT PROGRAM [ARGS...]            (env READY_PATH: the path to GET, default /)
 * Prints the milliseconds from just before fork+exec of PROGRAM to the first
 * "HTTP/1.x 200" answer to GET READY_PATH on 127.0.0.1:PORT, then SIGKILLs PROGRAM.
 * Polls with a fresh connect+GET every 200 us (CLOCK_MONOTONIC); exits 1 if
 * PROGRAM dies or is not ready within 30 s. Used by compare-go.sh for both servers. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static char req[512];
static size_t req_len;

static int get_ok(const struct sockaddr_in *a) {
  char buf[32] = {0}; int ok = 0, fd = socket(AF_INET, SOCK_STREAM, 0);
  struct timeval tmo = { 2, 0 };
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof tmo);
  if (fd >= 0 && connect(fd, (const struct sockaddr *)a, sizeof *a) == 0 &&
      send(fd, req, req_len, MSG_NOSIGNAL) == (ssize_t)req_len &&
      recv(fd, buf, sizeof buf - 1, MSG_WAITALL) >= 12)
    ok = strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 8, " 200", 4) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: ready-probe PORT PROGRAM [ARGS...]\n"); return 2; }
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  const char *path = getenv("READY_PATH");
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                   path && *path ? path : "/");
  if (n < 0 || (size_t)n >= sizeof req) { fprintf(stderr, "ready-probe: READY_PATH too long\n"); return 2; }
  req_len = (size_t)n;
  double t0 = now_ms();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlive the probe */
    int null = open("/dev/null", O_WRONLY); dup2(null, 1); dup2(null, 2);
    execv(argv[2], argv + 2); _exit(127);
  }
  int rc = 1, st; struct timespec pause = { 0, 200000 };
  while (now_ms() - t0 < 30000) {
    if (waitpid(pid, &st, WNOHANG) == pid) { fprintf(stderr, "ready-probe: %s exited early\n", argv[2]); return 1; }
    if (get_ok(&a)) { printf("%.3f\n", now_ms() - t0); rc = 0; break; }
    nanosleep(&pause, NULL);
  }
  if (rc) fprintf(stderr, "ready-probe: %s not ready within 30 s\n", argv[2]);
  kill(pid, SIGKILL); waitpid(pid, &st, 0);
  return rc;
}
