/* ceiling: the fastest "hello world" these cores allow.
 *
 * Raw epoll, single thread, level triggered, nonblocking sockets.  It parses
 * nothing: every "\r\n\r\n" seen in a connection's input stream is one request
 * and gets one fixed response.  All responses owed for one read go out in one
 * write call.  Usage: ./ceiling PORT   (binds 127.0.0.1:PORT)
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 65536
#define READ_SIZE 16384

static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\n"
    "Server: ceiling\r\n"
    "Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
    "Content-Type: text/html; charset=UTF-8\r\n"
    "Content-Length: 12\r\n"
    "\r\n"
    "Hello, world";
#define RESPONSE_LEN (sizeof RESPONSE - 1)

/* Per connection (indexed by fd): the last 3 bytes seen, so that a terminator
 * split across reads is still found. */
static char tail[MAX_FDS][3];

/* Enough copies of RESPONSE for the most terminators one read can hold. */
#define MAX_ANSWERS (READ_SIZE / 2 + 1)
static char out[MAX_ANSWERS * RESPONSE_LEN];

static void serve(int ep, int fd)
{
    char buf[3 + READ_SIZE];
    memcpy(buf, tail[fd], 3);
    ssize_t r = read(fd, buf + 3, READ_SIZE);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (r <= 0) goto close;

    /* Count terminators ending in the bytes just read; memmem is glibc's
     * vectorised search, so the scan costs next to nothing. */
    size_t n = 0;
    const char *p = buf, *end = buf + 3 + r;
    while ((p = memmem(p, (size_t)(end - p), "\r\n\r\n", 4))) {
        n++;
        p += 4;
    }
    memcpy(tail[fd], buf + r, 3);

    /* One write call for every answer this read owes.  A client that does
     * not read its answers (socket buffer full) is simply dropped. */
    size_t len = n * RESPONSE_LEN, off = 0;
    while (off < len) {
        ssize_t w = write(fd, out + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) goto close;
        off += (size_t)w;
    }
    return;
close:
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: %s PORT\n", argv[0]); return 2; }
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < MAX_ANSWERS; i++) memcpy(out + i * RESPONSE_LEN, RESPONSE, RESPONSE_LEN);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 4096) < 0) { perror("bind/listen"); return 1; }

    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls }, evs[256];
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);

    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd != ls) { serve(ep, fd); continue; }
            int c;
            while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                if (c >= MAX_FDS) { close(c); continue; }
                memset(tail[c], 0, 3);
                ev.events = EPOLLIN;
                ev.data.fd = c;
                epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
            }
        }
    }
}
