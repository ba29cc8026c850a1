/*
 * loadgen: a small epoll load generator for TCP echo servers, the bench's yardstick.
 *
 * N connections are opened first (all connects issued at once, each timed until the handshake
 * completes); once every connection is established or has failed, they send on one of two schedules:
 *
 * - closed loop (the default): all of them send at the same moment and keep echoing: each connection
 *   keeps DEPTH messages of SIZE bytes in flight, sending the next as soon as a whole reply is back,
 *   and a round trip is timed from its send. A server that stalls also stalls the sends it would
 *   answer late, and those are never timed (coordinated omission).
 * - fixed rate (-R RATE, messages a second per connection): the k-th message of a connection is due
 *   k intervals after its first, the connections' first ones spread over one interval; a message goes
 *   when due (or, with DEPTH in flight, as soon as a reply frees its place) and its round trip is
 *   timed from when it was due, as wrk2 does: a stall counts in every message it delayed.
 *
 * Round trips, connect times and first-reply times (from the common start, or a connection's first
 * due time, to its first whole reply) go into log-bucket histograms; the round trips' non-empty
 * buckets are printed too (`buckets`: [index, count] pairs, bucket i holding durations up to
 * 1.02^(i+1) us). A message without its reply TIMEOUT_MS after it was sent (due) counts once in
 * `messageTimeouts`: when its reply comes, or at the end of the window if none has.
 *
 * The load may be split over P processes (-P): each opens its share, the parent releases them all at
 * once, and merges their figures. Each process reports the CPU it used in the measured window, so the
 * caller can tell a saturated generator from a slow server.
 *
 * Output: one JSON document on stdout. Times in ms. Written in C so the generator is faster than any
 * server it measures; a Node generator tops out below what the servers do.
 *
 *   loadgen -h HOST -p PORT [-c CONNS] [-P PROCS] [-s SIZE] [-D DEPTH] [-w WARMUP_S] [-d DURATION_S]
 *           [-T TIMEOUT_S] [-R RATE] [-M TIMEOUT_MS]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GROWTH 1.02
#define BUCKETS 1048 /* 1 us to about 1000 s in 2% steps */
#define MAX_DEPTH 64
#define MAX_SIZE 65536

typedef struct {
	uint64_t counts[BUCKETS];
	uint64_t n;
	double sum, sumsq, max; /* microseconds */
} hist_t;

typedef struct {
	hist_t rtt, connect, first;
	uint64_t messages, bytes;   /* in the measured window */
	uint64_t connected, refused, resets, closed, timeouts, other;
	uint64_t message_timeouts; /* in the measured window: replies later than the timeout, or none */
	uint64_t first_replies;
	double cpu_s, window_s; /* this process's CPU over the measured window, and the window */
} result_t;

enum { CONNECTING, OPEN, DONE };

typedef struct {
	int fd;
	int state;
	double connect_start;
	double sent[MAX_DEPTH]; /* send times (due times, at a fixed rate) of the messages in flight, a ring */
	double next_due;        /* fixed rate: when the next message is due */
	double first_due;       /* when its first message went (closed loop: the common start) or was due */
	int head, inflight;
	size_t got;   /* bytes of the oldest reply received so far */
	int answered; /* had its first reply */
} conn_t;

static double now_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double cpu_s(void) {
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void record(hist_t *h, double us) {
	if (us < 1) us = 1;
	int i = (int)floor(log(us) / log(GROWTH));
	if (i >= BUCKETS) i = BUCKETS - 1;
	h->counts[i]++;
	h->n++;
	h->sum += us;
	h->sumsq += us * us;
	if (us > h->max) h->max = us;
}

static void merge(hist_t *into, const hist_t *from) {
	for (int i = 0; i < BUCKETS; i++) into->counts[i] += from->counts[i];
	into->n += from->n;
	into->sum += from->sum;
	into->sumsq += from->sumsq;
	if (from->max > into->max) into->max = from->max;
}

/* Upper bound of the bucket holding the p-th percentile, capped at the maximum: at most 2% high. */
static double percentile(const hist_t *h, double p) {
	uint64_t rank = (uint64_t)ceil(p / 100.0 * h->n), seen = 0;
	if (rank == 0) rank = 1;
	for (int i = 0; i < BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			double upper = pow(GROWTH, i + 1);
			return upper < h->max ? upper : h->max;
		}
	}
	return h->max;
}

/* A histogram's summary; with `buckets`, its non-empty buckets too, as [index, count] pairs. */
static void print_hist(const char *name, const hist_t *h, int buckets, int last) {
	if (h->n == 0) {
		printf("  \"%s\": null%s\n", name, last ? "" : ",");
		return;
	}
	double mean = h->sum / h->n;
	double var = h->sumsq / h->n - mean * mean;
	printf("  \"%s\": {\"samples\": %llu, \"p50Ms\": %.4f, \"p90Ms\": %.4f, \"p99Ms\": %.4f, "
	       "\"p999Ms\": %.4f, \"maxMs\": %.4f, \"meanMs\": %.4f, \"stdevMs\": %.4f",
	       name, (unsigned long long)h->n, percentile(h, 50) / 1e3, percentile(h, 90) / 1e3,
	       percentile(h, 99) / 1e3, percentile(h, 99.9) / 1e3, h->max / 1e3, mean / 1e3,
	       sqrt(var > 0 ? var : 0) / 1e3);
	if (buckets) {
		printf(", \"buckets\": [");
		int first = 1;
		for (int i = 0; i < BUCKETS; i++) {
			if (h->counts[i] == 0) continue;
			printf("%s[%d, %llu]", first ? "" : ", ", i, (unsigned long long)h->counts[i]);
			first = 0;
		}
		printf("]");
	}
	printf("}%s\n", last ? "" : ",");
}

static void usage(void) {
	fprintf(stderr, "usage: loadgen -h HOST -p PORT [-c CONNS] [-P PROCS] [-s SIZE] [-D DEPTH] "
	                "[-w WARMUP_S] [-d DURATION_S] [-T TIMEOUT_S] [-R RATE] [-M TIMEOUT_MS]\n");
	exit(2);
}

static int read_full(int fd, void *buf, size_t len) {
	size_t done = 0;
	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) return -1;
		done += (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len) {
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) return -1;
		done += (size_t)n;
	}
	return 0;
}

static struct sockaddr_storage addr;
static socklen_t addrlen;
static size_t size = 64;
static int depth = 1;
/* Fixed rate: microseconds between a connection's messages; 0: closed loop. */
static double interval_us = 0;
/* A message without its reply this long after it was sent (due) counts in message_timeouts. */
static double message_timeout_us = 10e6;
static char payload[MAX_SIZE * 2];

/* Open connections still without a first reply. */
static int waiting = 0;

static void fail(result_t *r, conn_t *c, int err, int epfd) {
	if (c->state == OPEN && !c->answered) waiting--;
	if (c->state == CONNECTING && err == ECONNREFUSED) r->refused++;
	else if (err == ECONNRESET || err == EPIPE) r->resets++;
	else if (err == 0) r->closed++;
	else if (err == ETIMEDOUT) r->timeouts++;
	else r->other++;
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->state = DONE;
}

/* Tops the messages in flight up to depth. */
static int top_up(conn_t *c, double t) {
	int want = depth - c->inflight;
	if (want <= 0) return 0;
	ssize_t n = send(c->fd, payload, size * (size_t)want, MSG_NOSIGNAL);
	if (n < 0) return errno == EAGAIN ? 0 : -1;
	/* A short write on loopback with 64-byte messages does not happen; count whole messages sent. */
	int whole = (int)((size_t)n / size);
	for (int i = 0; i < whole; i++) {
		c->sent[(c->head + c->inflight) % MAX_DEPTH] = t;
		c->inflight++;
	}
	return 0;
}

/*
 * Fixed rate: sends the messages due by `t` that depth leaves room for, each stamped with when it
 * was due, not when it went.
 */
static int send_due(conn_t *c, double t) {
	int want = 0;
	for (double due = c->next_due; c->inflight + want < depth && due <= t; due += interval_us) want++;
	if (want == 0) return 0;
	ssize_t n = send(c->fd, payload, size * (size_t)want, MSG_NOSIGNAL);
	if (n < 0) return errno == EAGAIN ? 0 : -1;
	int whole = (int)((size_t)n / size);
	for (int i = 0; i < whole; i++) {
		c->sent[(c->head + c->inflight) % MAX_DEPTH] = c->next_due;
		c->next_due += interval_us;
		c->inflight++;
	}
	return 0;
}

/* Sends what is due on every open connection; arms `timer` for the earliest message due after. */
static void send_all_due(result_t *r, conn_t *conns, int count, int timer, int epfd, double t) {
	double earliest = 0;
	for (int i = 0; i < count; i++) {
		conn_t *c = &conns[i];
		if (c->state != OPEN) continue;
		if (c->next_due <= t && send_due(c, t) < 0) {
			fail(r, c, errno, epfd);
			continue;
		}
		/* One that could not send (its socket buffer full) tries again with the next wake-up. */
		if (c->inflight < depth && c->next_due > t && (earliest == 0 || c->next_due < earliest))
			earliest = c->next_due;
	}
	if (earliest == 0) return;
	struct itimerspec at = {.it_value = {.tv_sec = (time_t)(earliest / 1e6),
	                                     .tv_nsec = (long)(fmod(earliest, 1e6) * 1e3)}};
	if (at.it_value.tv_sec == 0 && at.it_value.tv_nsec == 0) at.it_value.tv_nsec = 1;
	timerfd_settime(timer, TFD_TIMER_ABSTIME, &at, NULL);
}

/* Messages older than the timeout at `t` and still without a reply: in flight, or due and unsent. */
static uint64_t overdue(const conn_t *c, double t) {
	uint64_t late = 0;
	for (int i = 0; i < c->inflight; i++)
		if (t - c->sent[(c->head + i) % MAX_DEPTH] >= message_timeout_us) late++;
	if (interval_us > 0 && c->next_due <= t - message_timeout_us)
		late += (uint64_t)floor((t - message_timeout_us - c->next_due) / interval_us) + 1;
	return late;
}

/* One load process: connect `count`, report ready on `ctl`, wait for go, echo, send the result. */
static void child(int count, int ctl_in, int ctl_out, double warmup_s, double duration_s, double timeout_s) {
	static result_t r;
	memset(&r, 0, sizeof r);
	conn_t *conns = calloc((size_t)count, sizeof *conns);
	int epfd = epoll_create1(0);
	struct epoll_event *events = calloc(1024, sizeof *events);
	int pending = 0;
	for (int i = 0; i < count; i++) {
		conn_t *c = &conns[i];
		c->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (c->fd < 0) { r.other++; c->state = DONE; continue; }
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->connect_start = now_us();
		int rc = connect(c->fd, (struct sockaddr *)&addr, addrlen);
		if (rc < 0 && errno != EINPROGRESS) { fail(&r, c, errno, epfd); continue; }
		struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
		epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
		c->state = CONNECTING;
		pending++;
	}
	/* Phase 1: every connect completes, fails or times out. */
	double deadline = now_us() + timeout_s * 1e6;
	while (pending > 0 && now_us() < deadline) {
		int n = epoll_wait(epfd, events, 1024, 50);
		double t = now_us();
		for (int i = 0; i < n; i++) {
			conn_t *c = events[i].data.ptr;
			if (c->state != CONNECTING) continue;
			int err = 0;
			socklen_t len = sizeof err;
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
			pending--;
			if (err) { fail(&r, c, err, epfd); continue; }
			record(&r.connect, t - c->connect_start);
			r.connected++;
			waiting++;
			c->state = OPEN;
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
			epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
		}
	}
	for (int i = 0; i < count; i++)
		if (conns[i].state == CONNECTING) fail(&r, &conns[i], ETIMEDOUT, epfd);
	char ready = 'R';
	double go;
	if (write_full(ctl_out, &ready, 1) < 0 || read_full(ctl_in, &go, sizeof go) < 0) exit(1);
	/*
	 * Phase 2: closed loop, all send at once, then echo until the end of the measured window; fixed
	 * rate, the connections' first messages spread over one interval, then each due an interval after
	 * the one before. The timer wakes the loop when the next message is due (1 ns of timer slack, not
	 * the default 50 us: a message that goes late is timed from when it was due, lateness included).
	 */
	double t0 = now_us();
	int timer = -1;
	if (interval_us > 0) {
		prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
		timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
		if (timer < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, timer, &ev) < 0) exit(1);
	}
	for (int i = 0; i < count; i++) {
		conn_t *c = &conns[i];
		c->first_due = interval_us > 0 ? t0 + interval_us * i / count : go;
		c->next_due = c->first_due;
		if (c->state == OPEN && interval_us == 0 && top_up(c, t0) < 0) fail(&r, c, errno, epfd);
	}
	if (interval_us > 0) send_all_due(&r, conns, count, timer, epfd, now_us());
	double measure_at = go + warmup_s * 1e6, end_at = measure_at + duration_s * 1e6;
	double cpu_start = 0, give_up = go + timeout_s * 1e6;
	int measuring = 0, ended = 0;
	static char buf[65536];
	for (;;) {
		double t = now_us();
		if (!measuring && t >= measure_at) {
			measuring = 1;
			cpu_start = cpu_s();
			memset(&r.rtt, 0, sizeof r.rtt);
			r.messages = r.bytes = r.message_timeouts = 0;
		}
		if (!ended && t >= end_at) {
			/* The window closes; connections still without a first reply get until the timeout. */
			ended = 1;
			r.cpu_s = cpu_s() - cpu_start;
			for (int i = 0; i < count; i++)
				if (conns[i].state == OPEN) r.message_timeouts += overdue(&conns[i], t);
		}
		if (ended && (waiting <= 0 || t >= give_up)) break;
		int n = epoll_wait(epfd, events, 1024, 10);
		t = now_us();
		for (int i = 0; i < n; i++) {
			conn_t *c = events[i].data.ptr;
			if (c == NULL) {
				uint64_t expirations;
				if (read(timer, &expirations, sizeof expirations) < 0 && errno != EAGAIN) exit(1);
				continue;
			}
			if (c->state != OPEN) continue;
			ssize_t got = recv(c->fd, buf, sizeof buf, 0);
			if (got <= 0) {
				if (got < 0 && errno == EAGAIN) continue;
				fail(&r, c, got == 0 ? 0 : errno, epfd);
				continue;
			}
			c->got += (size_t)got;
			while (c->got >= size && c->inflight > 0) {
				c->got -= size;
				double rtt = t - c->sent[c->head];
				c->head = (c->head + 1) % MAX_DEPTH;
				c->inflight--;
				if (!ended) {
					record(&r.rtt, rtt);
					r.messages++;
					r.bytes += size;
					if (rtt >= message_timeout_us) r.message_timeouts++;
				}
				if (!c->answered) {
					c->answered = 1;
					waiting--;
					r.first_replies++;
					record(&r.first, t - c->first_due);
				}
			}
			if ((interval_us > 0 ? send_due(c, t) : top_up(c, t)) < 0) fail(&r, c, errno, epfd);
		}
		if (interval_us > 0 && !ended) send_all_due(&r, conns, count, timer, epfd, now_us());
	}
	r.window_s = duration_s;
	/* A connection that never had a reply timed out, as far as its user is concerned. */
	for (int i = 0; i < count; i++)
		if (conns[i].state == OPEN && !conns[i].answered) r.timeouts++;
	if (write_full(ctl_out, &r, sizeof r) < 0) exit(1);
	exit(0);
}

int main(int argc, char **argv) {
	const char *host = NULL, *port = NULL;
	int conns = 100, procs = 1;
	double warmup_s = 1, duration_s = 5, timeout_s = 10, rate = 0, message_timeout_ms = 10000;
	int opt;
	while ((opt = getopt(argc, argv, "h:p:c:P:s:D:w:d:T:R:M:")) != -1) {
		switch (opt) {
		case 'h': host = optarg; break;
		case 'p': port = optarg; break;
		case 'c': conns = atoi(optarg); break;
		case 'P': procs = atoi(optarg); break;
		case 's': size = (size_t)atol(optarg); break;
		case 'D': depth = atoi(optarg); break;
		case 'w': warmup_s = atof(optarg); break;
		case 'd': duration_s = atof(optarg); break;
		case 'T': timeout_s = atof(optarg); break;
		case 'R': rate = atof(optarg); break;
		case 'M': message_timeout_ms = atof(optarg); break;
		default: usage();
		}
	}
	if (!host || !port || conns < 1 || procs < 1 || procs > conns || size < 1 || size > MAX_SIZE ||
	    depth < 1 || depth > MAX_DEPTH || warmup_s < 0 || duration_s <= 0 || timeout_s <= 0 ||
	    rate < 0 || message_timeout_ms <= 0)
		usage();
	if (rate > 0) interval_us = 1e6 / rate;
	message_timeout_us = message_timeout_ms * 1e3;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		fprintf(stderr, "loadgen: cannot resolve %s:%s\n", host, port);
		return 2;
	}
	memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
	addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	for (size_t i = 0; i < (size_t)depth; i++) {
		memset(payload + i * size, 'x', size - 1);
		payload[i * size + size - 1] = '\n';
	}
	int to_child[procs][2], from_child[procs][2];
	pid_t pids[procs];
	for (int p = 0; p < procs; p++) {
		if (pipe(to_child[p]) < 0 || pipe(from_child[p]) < 0) return 1;
		int share = conns / procs + (p < conns % procs ? 1 : 0);
		pids[p] = fork();
		if (pids[p] < 0) return 1;
		if (pids[p] == 0) child(share, to_child[p][0], from_child[p][1], warmup_s, duration_s, timeout_s);
	}
	char ready;
	for (int p = 0; p < procs; p++)
		if (read_full(from_child[p][0], &ready, 1) < 0) return 1;
	double go = now_us();
	for (int p = 0; p < procs; p++) write_full(to_child[p][1], &go, sizeof go);
	fputs("loadgen: go\n", stderr);
	static result_t total, part;
	double max_cpu = 0, sum_cpu = 0;
	for (int p = 0; p < procs; p++) {
		if (read_full(from_child[p][0], &part, sizeof part) < 0) return 1;
		merge(&total.rtt, &part.rtt);
		merge(&total.connect, &part.connect);
		merge(&total.first, &part.first);
		total.messages += part.messages;
		total.bytes += part.bytes;
		total.connected += part.connected;
		total.refused += part.refused;
		total.resets += part.resets;
		total.closed += part.closed;
		total.timeouts += part.timeouts;
		total.other += part.other;
		total.message_timeouts += part.message_timeouts;
		total.first_replies += part.first_replies;
		double pct = 100 * part.cpu_s / part.window_s;
		sum_cpu += pct;
		if (pct > max_cpu) max_cpu = pct;
		waitpid(pids[p], NULL, 0);
	}
	printf("{\n  \"tool\": \"loadgen\",\n  \"connections\": %d,\n  \"processes\": %d,\n", conns, procs);
	printf("  \"size\": %zu,\n  \"depth\": %d,\n  \"warmupS\": %g,\n  \"durationS\": %g,\n", size, depth,
	       warmup_s, duration_s);
	if (rate > 0) printf("  \"schedule\": \"fixed-rate\",\n  \"ratePerSec\": %g,\n", rate);
	else printf("  \"schedule\": \"closed-loop\",\n  \"ratePerSec\": null,\n");
	printf("  \"messageTimeoutMs\": %g,\n", message_timeout_ms);
	printf("  \"connected\": %llu,\n  \"firstReplies\": %llu,\n", (unsigned long long)total.connected,
	       (unsigned long long)total.first_replies);
	printf("  \"errors\": {\"refused\": %llu, \"resets\": %llu, \"closed\": %llu, \"timeouts\": %llu, "
	       "\"other\": %llu, \"messageTimeouts\": %llu},\n",
	       (unsigned long long)total.refused, (unsigned long long)total.resets,
	       (unsigned long long)total.closed, (unsigned long long)total.timeouts,
	       (unsigned long long)total.other, (unsigned long long)total.message_timeouts);
	printf("  \"messages\": %llu,\n  \"messagesPerSec\": %.1f,\n  \"bytesPerSec\": %.1f,\n",
	       (unsigned long long)total.messages, total.messages / duration_s, total.bytes / duration_s);
	printf("  \"cpuPercentMax\": %.1f,\n  \"cpuPercentTotal\": %.1f,\n", max_cpu, sum_cpu);
	print_hist("rtt", &total.rtt, 1, 0);
	print_hist("connect", &total.connect, 0, 0);
	print_hist("firstReply", &total.first, 0, 1);
	printf("}\n");
	return 0;
}
