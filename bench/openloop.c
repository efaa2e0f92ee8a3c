/*
 * openloop: a fixed-rate (open-loop) HTTP/1.1 load generator that corrects coordinated
 * omission, for bench/run.mjs. wrk2 is not packaged by Debian and this machine has no
 * network but npm and apt, so the benchmark builds this instead (gcc, no dependencies).
 *
 *   openloop -R RATE -d SECONDS [-w WARMUP] [-c CONNS] [-t DRAIN] [-H 'Name: value']... http://HOST:PORT/PATH
 *
 * Request k is *intended* to be sent at start + k/RATE. It goes out on an idle
 * keep-alive connection of the pool (one request in flight per connection, no
 * pipelining); when none is idle it waits in a queue. Its latency is measured from the
 * intended send time, not from when a connection became free: a proxy that stalls
 * for 100 ms is charged for every request that should have been sent during the
 * stall (what wrk2 does; plain wrk measures from the actual send and hides it).
 *
 * Latencies go into an HDR-like log-linear histogram (µs, 1024 linear sub-buckets per
 * power of two: < 0.1 % relative error). Requests scheduled during the -w warmup are
 * sent but not recorded. Output: one JSON object on stdout.
 * Counted separately: errors (connection closed/reset while a request was in flight,
 * or a malformed response), non-2xx answers, requests still unanswered DRAIN seconds
 * after the end (timeouts) and requests never sent because no connection freed up
 * (unsent). A connection that fails is reopened.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define SUB 1024
#define SHIFTS 40
#define NBUCKETS (2 * SUB + SHIFTS * SUB)
#define BUFSZ 65536

static uint64_t hist[NBUCKETS];
static uint64_t hcount, hmax, hsum;

static int bucket(uint64_t v) {
  if (v < 2 * SUB) return (int)v;
  int b = 63 - __builtin_clzll(v); /* floor(log2 v) >= 11 */
  int shift = b - 10;              /* v >> shift in [1024, 2047] */
  if (shift > SHIFTS) shift = SHIFTS, v = (uint64_t)(2 * SUB - 1) << shift;
  return 2 * SUB + (shift - 1) * SUB + (int)((v >> shift) - SUB);
}
static uint64_t bucket_value(int i) { /* the middle of the bucket */
  if (i < 2 * SUB) return (uint64_t)i;
  int shift = (i - 2 * SUB) / SUB + 1;
  uint64_t lo = (uint64_t)(SUB + (i - 2 * SUB) % SUB) << shift;
  return lo + ((1ull << shift) >> 1);
}
static void record(uint64_t us) {
  hist[bucket(us)]++;
  hcount++;
  hsum += us;
  if (us > hmax) hmax = us;
}
static uint64_t percentile(double p) {
  if (!hcount) return 0;
  uint64_t want = (uint64_t)(p / 100.0 * (double)hcount + 0.5);
  if (want < 1) want = 1;
  uint64_t seen = 0;
  for (int i = 0; i < NBUCKETS; i++) {
    seen += hist[i];
    if (seen >= want) { uint64_t v = bucket_value(i); return v > hmax ? hmax : v; }
  }
  return hmax;
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

typedef struct {
  int fd, connected, busy;
  uint64_t intended; /* intended send time (ns) of the request in flight */
  int record;        /* outside the warmup */
  char buf[BUFSZ];
  size_t len;
} conn_t;

static struct sockaddr_in addr;
static char *request;
static size_t request_len;
static int epfd;
static uint64_t errors, non2xx, completed, sent;

static void die(const char *m) { perror(m); exit(2); }

static void conn_open(conn_t *c) {
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) die("socket");
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) die("connect");
  c->connected = 0;
  c->busy = 0;
  c->len = 0;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.ptr = c};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
}
static void conn_reopen(conn_t *c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  conn_open(c);
}
static void conn_fail(conn_t *c) {
  if (c->busy && c->record) errors++;
  conn_reopen(c);
}

/* Find a header's value in [h, end); returns its start or NULL. */
static const char *header(const char *h, const char *end, const char *name) {
  size_t n = strlen(name);
  for (const char *p = h; p && p < end;) {
    const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
    if (!eol) break;
    if ((size_t)(eol - p) > n && p[n] == ':' && strncasecmp(p, name, n) == 0) {
      const char *v = p + n + 1;
      while (*v == ' ' || *v == '\t') v++;
      return v;
    }
    p = eol + 2;
  }
  return NULL;
}

/* Length of a complete response at the start of buf, 0 if incomplete, -1 if malformed. */
static long response_length(const char *buf, size_t len, int *status, int *close_after) {
  const char *hend = memmem(buf, len, "\r\n\r\n", 4);
  if (!hend) return len >= BUFSZ ? -1 : 0;
  if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0) return -1;
  *status = atoi(buf + 9);
  const char *h = memchr(buf, '\n', (size_t)(hend - buf)) + 1;
  const char *end = hend + 2;
  const char *connection = header(h, end, "connection");
  *close_after = connection && strncasecmp(connection, "close", 5) == 0;
  size_t body = (size_t)(hend + 4 - buf);
  if (*status == 204 || *status == 304 || (*status >= 100 && *status < 200)) return (long)body;
  const char *cl = header(h, end, "content-length");
  if (cl) {
    size_t total = body + strtoull(cl, NULL, 10);
    if (total > BUFSZ) return -1;
    return len >= total ? (long)total : 0;
  }
  const char *te = header(h, end, "transfer-encoding");
  if (te && strncasecmp(te, "chunked", 7) == 0) {
    size_t p = body;
    for (;;) {
      const char *eol = memmem(buf + p, len - p, "\r\n", 2);
      if (!eol) return len >= BUFSZ ? -1 : 0;
      size_t size = strtoull(buf + p, NULL, 16);
      p = (size_t)(eol - buf) + 2;
      if (size == 0) { /* trailers (none expected) end with an empty line */
        const char *fin = memmem(buf + p, len - p, "\r\n", 2);
        if (!fin) return 0;
        if (fin == buf + p) return (long)(p + 2);
        const char *tend = memmem(buf + p, len - p, "\r\n\r\n", 4);
        return tend ? (long)(tend + 4 - buf) : 0;
      }
      if (p + size + 2 > len) return len >= BUFSZ ? -1 : 0;
      p += size + 2;
    }
  }
  *close_after = 1; /* body delimited by close: not supported for timing; drop the connection */
  return (long)body;
}

static void on_readable(conn_t *c) {
  for (;;) {
    ssize_t n = read(c->fd, c->buf + c->len, BUFSZ - c->len);
    if (n > 0) {
      c->len += (size_t)n;
      int status = 0, close_after = 0;
      long total = response_length(c->buf, c->len, &status, &close_after);
      if (total < 0) { conn_fail(c); return; }
      if (total == 0) { if (c->len >= BUFSZ) { conn_fail(c); return; } continue; }
      if (!c->busy) { conn_fail(c); return; } /* an answer nobody asked for */
      uint64_t t = now_ns();
      if (c->record) {
        completed++;
        if (status < 200 || status > 299) non2xx++;
        record((t - c->intended) / 1000);
      }
      c->busy = 0;
      memmove(c->buf, c->buf + total, c->len - (size_t)total);
      c->len -= (size_t)total;
      if (close_after) { conn_reopen(c); return; }
      continue;
    }
    if (n == 0) { conn_fail(c); return; }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    if (errno == EINTR) continue;
    conn_fail(c);
    return;
  }
}

static int send_on(conn_t *c, uint64_t intended, int rec) {
  ssize_t n = write(c->fd, request, request_len);
  if (n != (ssize_t)request_len) { /* a fresh keep-alive connection takes ~100 bytes whole */
    conn_reopen(c);
    return 0;
  }
  c->busy = 1;
  c->intended = intended;
  c->record = rec;
  if (rec) sent++;
  return 1;
}

static void usage(void) {
  fprintf(stderr, "usage: openloop -R RATE -d SECONDS [-w WARMUP] [-c CONNS] [-t DRAIN] [-H 'Name: value']... http://HOST:PORT/PATH\n");
  exit(2);
}

int main(int argc, char **argv) {
  double rate = 0, duration = 0, warmup = 0, drain = 5;
  int nconns = 50;
  char extra[4096] = "";
  int has_host = 0, opt;
  while ((opt = getopt(argc, argv, "R:d:w:c:t:H:")) != -1) {
    switch (opt) {
      case 'R': rate = atof(optarg); break;
      case 'd': duration = atof(optarg); break;
      case 'w': warmup = atof(optarg); break;
      case 'c': nconns = atoi(optarg); break;
      case 't': drain = atof(optarg); break;
      case 'H':
        if (strncasecmp(optarg, "host:", 5) == 0) has_host = 1;
        if (strlen(extra) + strlen(optarg) + 3 >= sizeof extra) usage();
        strcat(extra, optarg);
        strcat(extra, "\r\n");
        break;
      default: usage();
    }
  }
  if (optind != argc - 1 || rate <= 0 || duration <= 0 || nconns < 1) usage();
  char host[256], path[2048] = "/";
  int port = 80;
  if (sscanf(argv[optind], "http://%255[^:/]:%d%2047s", host, &port, path) < 2) usage();
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) { fprintf(stderr, "openloop: HOST must be an IPv4 address\n"); return 2; }
  request = malloc(8192);
  char default_host[300] = "";
  if (!has_host) snprintf(default_host, sizeof default_host, "Host: %s:%d\r\n", host, port);
  request_len = (size_t)snprintf(request, 8192, "GET %s HTTP/1.1\r\n%s%s\r\n", path, default_host, extra);

  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (tfd < 0) die("timerfd_create");
  struct epoll_event tev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &tev);
  conn_t *conns = calloc((size_t)nconns, sizeof(conn_t));
  for (int i = 0; i < nconns; i++) conn_open(&conns[i]);

  const double interval = 1e9 / rate;
  const uint64_t start = now_ns();
  const uint64_t warm_end = start + (uint64_t)(warmup * 1e9);
  const uint64_t total = (uint64_t)((warmup + duration) * rate);
  const uint64_t stop = start + (uint64_t)((warmup + duration) * 1e9);
  const uint64_t drain_end = stop + (uint64_t)(drain * 1e9);
  uint64_t next = 0; /* the next request to send (all before it went out) */
  uint64_t armed = 0; /* the timer's current expiry */
  struct epoll_event evs[256];

  for (;;) {
    uint64_t t = now_ns();
    /* Send every due request that has a free connection (oldest first). */
    for (int i = 0; i < nconns && next < total; i++) {
      uint64_t intended = start + (uint64_t)((double)next * interval);
      if (intended > t) break;
      conn_t *c = &conns[i];
      if (!c->connected || c->busy) continue;
      if (send_on(c, intended, intended >= warm_end)) next++;
    }
    if (next >= total) {
      int outstanding = 0;
      for (int i = 0; i < nconns; i++) outstanding += conns[i].busy && conns[i].record;
      if (!outstanding) break;
    }
    if (t >= drain_end) break;
    /* Wake at the next intended send time (or at the drain deadline); re-arm only when it moved. */
    uint64_t wake = next < total ? start + (uint64_t)((double)next * interval) : drain_end;
    if (wake <= t) wake = t + 1000;
    if (wake != armed) {
      struct itimerspec its = {.it_value = {.tv_sec = (time_t)(wake / 1000000000ull), .tv_nsec = (long)(wake % 1000000000ull)}};
      timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
      armed = wake;
    }
    int n = epoll_wait(epfd, evs, 256, 1000);
    for (int i = 0; i < n; i++) {
      conn_t *c = evs[i].data.ptr;
      if (!c) { uint64_t x; while (read(tfd, &x, sizeof x) > 0) {} armed = 0; continue; }
      if (!c->connected && (evs[i].events & EPOLLOUT)) {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) { usleep(10000); conn_reopen(c); continue; }
        c->connected = 1;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
      }
      if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(c);
    }
  }
  uint64_t timeouts = 0;
  for (int i = 0; i < nconns; i++) timeouts += conns[i].busy && conns[i].record;
  uint64_t scheduled = total - (uint64_t)(warmup * rate);
  uint64_t unsent = scheduled > sent ? scheduled - sent : 0;
  double measured_s = duration;
  printf("{\"rate\":%.1f,\"duration\":%.1f,\"connections\":%d,\"scheduled\":%llu,\"sent\":%llu,\"completed\":%llu,"
         "\"errors\":%llu,\"non2xx\":%llu,\"timeouts\":%llu,\"unsent\":%llu,\"achievedRps\":%.1f,"
         "\"latencyUs\":{\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p999\":%llu,\"max\":%llu,\"mean\":%.1f}}\n",
    rate, duration, nconns, (unsigned long long)scheduled, (unsigned long long)sent, (unsigned long long)completed,
    (unsigned long long)errors, (unsigned long long)non2xx, (unsigned long long)timeouts, (unsigned long long)unsent,
    (double)completed / measured_s,
    (unsigned long long)percentile(50), (unsigned long long)percentile(90), (unsigned long long)percentile(99),
    (unsigned long long)percentile(99.9), (unsigned long long)hmax, hcount ? (double)hsum / (double)hcount : 0.0);
  return 0;
}
