/*
 * spapr-probe: runs a script of raw VFIO calls (sPAPR TCE IOMMU, EEH, groups, devices) against the
 * running kernel and prints one result line per command, in the format of the POWER lane's probe
 * script (docs/power-lane.md, "The probe script"). The Java runner prints the same lines for the
 * simulator, so every byte of the output is part of a contract.
 *
 *   spapr-probe SCRIPT
 *
 * Built static for the ppc64el guest (powerpc64le-linux-gnu-gcc -static -O2) and natively for tests
 * of the format (on a machine without /dev/vfio the calls simply fail). Bad input never stops it: a
 * malformed command prints "bad-command", a handle that is not open "-EBADF", and the next line runs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* The VFIO ioctl numbers: _IO(';', 100 + n) with this architecture's _IO encoding (linux/vfio.h). */
#define VFIO_NR(n) _IO(';', 100 + (n))
#define VFIO_CHECK_EXTENSION VFIO_NR(1)
#define VFIO_SET_IOMMU VFIO_NR(2)
#define VFIO_GROUP_GET_STATUS VFIO_NR(3)
#define VFIO_GROUP_SET_CONTAINER VFIO_NR(4)
#define VFIO_GROUP_UNSET_CONTAINER VFIO_NR(5)
#define VFIO_GROUP_GET_DEVICE_FD VFIO_NR(6)
#define VFIO_IOMMU_SPAPR_TCE_GET_INFO VFIO_NR(12)
#define VFIO_IOMMU_MAP_DMA VFIO_NR(13)
#define VFIO_IOMMU_UNMAP_DMA VFIO_NR(14)
#define VFIO_IOMMU_ENABLE VFIO_NR(15)
#define VFIO_IOMMU_DISABLE VFIO_NR(16)
#define VFIO_IOMMU_SPAPR_REGISTER_MEMORY VFIO_NR(17)
#define VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY VFIO_NR(18)
#define VFIO_IOMMU_SPAPR_TCE_CREATE VFIO_NR(19)
#define VFIO_IOMMU_SPAPR_TCE_REMOVE VFIO_NR(20)
#define VFIO_EEH_PE_OP VFIO_NR(21)
#define VFIO_EEH_PE_INJECT_ERR 9

#define MEM_SIZE (64ull << 20)
#define MEM_ALIGN (16ull << 20)
#define BUF_SIZE 64
#define HANDLES 10
#define MAX_IO 64
#define SLOW_CALL_SECONDS 0.5

enum kind { CONTAINER, GROUP, DEVICE, KINDS };
static const char KIND_LETTERS[KINDS] = { 'c', 'g', 'd' };

/* A PCI device the script names: found by vendor and device id in sysfs. */
struct named_device {
    const char *name;
    const char *vendor;
    const char *device;
    char address[256];  /* "unknown" when absent: the calls then fail as the kernel says */
    char group[512];
};

static struct named_device devices[] = {
    { "edu", "0x1234", "0x11e8", "unknown", "unknown" },
    { "nvme", "0x1b36", "0x0010", "unknown", "unknown" },
};
#define DEVICE_COUNT (sizeof devices / sizeof devices[0])

static int fds[KINDS][HANDLES];
static const char *vfio_dir = "/dev/vfio";   /* SPAPR_PROBE_VFIO_DIR replaces it in tests of the format */
static uint64_t mem;         /* MEM: the 16 MiB-aligned address of the 64 MiB every OFF is relative to */
static unsigned char buf[BUF_SIZE];

/* ---- output ---- */

static const char *errno_name(int e) {
    switch (e) {
    case 1: return "EPERM"; case 2: return "ENOENT"; case 3: return "ESRCH"; case 4: return "EINTR";
    case 5: return "EIO"; case 6: return "ENXIO"; case 7: return "E2BIG"; case 8: return "ENOEXEC";
    case 9: return "EBADF"; case 10: return "ECHILD"; case 11: return "EAGAIN"; case 12: return "ENOMEM";
    case 13: return "EACCES"; case 14: return "EFAULT"; case 15: return "ENOTBLK"; case 16: return "EBUSY";
    case 17: return "EEXIST"; case 18: return "EXDEV"; case 19: return "ENODEV"; case 20: return "ENOTDIR";
    case 21: return "EISDIR"; case 22: return "EINVAL"; case 23: return "ENFILE"; case 24: return "EMFILE";
    case 25: return "ENOTTY"; case 26: return "ETXTBSY"; case 27: return "EFBIG"; case 28: return "ENOSPC";
    case 29: return "ESPIPE"; case 30: return "EROFS"; case 31: return "EMLINK"; case 32: return "EPIPE";
    case 33: return "EDOM"; case 34: return "ERANGE"; case 77: return "EBADFD"; case 95: return "EOPNOTSUPP";
    default: return NULL;
    }
}

/* Prints " = RESULT" for a call's return value (errno taken when it is negative). */
static void print_result(long ret, int err) {
    if (ret >= 0) {
        printf(" = %ld", ret);
    } else {
        const char *name = errno_name(err);
        if (name) printf(" = -%s", name); else printf(" = -E%d", err);
    }
}

static void print_hex(const unsigned char *bytes, size_t n) {
    putchar(' ');
    for (size_t i = 0; i < n; i++) printf("%02x", bytes[i]);
}

/* ---- little-endian struct fields (the guest is ppc64le; x86 for format tests) ---- */

static void put32(size_t off, uint64_t v) {
    for (int i = 0; i < 4; i++) buf[off + i] = (unsigned char)(v >> (8 * i));
}

static void put64(size_t off, uint64_t v) {
    for (int i = 0; i < 8; i++) buf[off + i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(size_t off) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)buf[off + i] << (8 * i);
    return v;
}

static void fresh_buffer(void) { memset(buf, 0xa5, sizeof buf); }

/* ---- tokens ---- */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A number: "0x" and 1 to 16 hex digits, or 1 to 20 decimal digits not above 2^64-1 (a leading 0 is
 * still decimal; no sign, no other base). Anything else is a malformed command. */
static int parse_number(const char *s, uint64_t *out) {
    uint64_t v = 0;
    size_t n = 0;
    if (s[0] == '0' && s[1] == 'x') {
        for (s += 2; *s; s++, n++) {
            int d = hexval(*s);
            if (d < 0 || n == 16) return 0;
            v = (v << 4) | (uint64_t)d;
        }
        if (n == 0) return 0;
    } else {
        for (; *s; s++, n++) {
            if (*s < '0' || *s > '9' || n == 20) return 0;
            uint64_t d = (uint64_t)(*s - '0');
            if (v > (UINT64_MAX - d) / 10) return 0;
            v = v * 10 + d;
        }
        if (n == 0) return 0;
    }
    *out = v;
    return 1;
}

/* A handle of the given kind: the letter and one digit. Returns its number or -1. */
static int parse_handle(const char *s, enum kind k) {
    if (s[0] != KIND_LETTERS[k] || s[1] < '0' || s[1] > '9' || s[2]) return -1;
    return s[1] - '0';
}

/* Any handle: sets *k and returns its number, or -1. */
static int parse_any_handle(const char *s, enum kind *k) {
    for (int i = 0; i < KINDS; i++) {
        int n = parse_handle(s, (enum kind)i);
        if (n >= 0) { *k = (enum kind)i; return n; }
    }
    return -1;
}

static struct named_device *parse_device(const char *s) {
    for (size_t i = 0; i < DEVICE_COUNT; i++)
        if (strcmp(s, devices[i].name) == 0) return &devices[i];
    return NULL;
}

/* ---- the devices ---- */

static int read_line_file(const char *path, char *out, size_t size) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int ok = fgets(out, (int)size, f) != NULL;
    fclose(f);
    if (ok) out[strcspn(out, "\n")] = 0;
    return ok;
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

/* Finds each named device (the first by address when there are several) and its IOMMU group. */
static void find_devices(void) {
    struct dirent **list;
    int n = scandir("/sys/bus/pci/devices", &list, NULL, by_name);
    for (int i = 0; i < n; i++) {
        const char *addr = list[i]->d_name;
        char path[512], vendor[32], device[32], link[512];
        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/vendor", addr);
        if (addr[0] == '.' || !read_line_file(path, vendor, sizeof vendor)) continue;
        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/device", addr);
        if (!read_line_file(path, device, sizeof device)) continue;
        for (size_t d = 0; d < DEVICE_COUNT; d++) {
            struct named_device *nd = &devices[d];
            if (strcmp(nd->address, "unknown") != 0 || strcmp(vendor, nd->vendor) != 0 || strcmp(device, nd->device) != 0)
                continue;
            snprintf(nd->address, sizeof nd->address, "%s", addr);
            snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/iommu_group", addr);
            ssize_t len = readlink(path, link, sizeof link - 1);
            if (len > 0) {
                link[len] = 0;
                const char *base = strrchr(link, '/');
                snprintf(nd->group, sizeof nd->group, "%s", base ? base + 1 : link);
            } else {
                snprintf(nd->group, sizeof nd->group, "none");
            }
        }
    }
    for (int i = 0; i < n; i++) free(list[i]);
    if (n >= 0) free(list);
}

/* ---- commands ---- */

/* Closes one handle (the handle is forgotten whatever close returns); returns close's result. */
static long close_handle(enum kind k, int n, int *err) {
    long r = close(fds[k][n]);
    *err = errno;
    fds[k][n] = -1;
    return r;
}

/* Opening into a handle that is still open closes it first (as "close" would, result unprinted). */
static void release_handle(enum kind k, int n) {
    int ignored;
    if (fds[k][n] >= 0) close_handle(k, n, &ignored);
}

/* Stores the result of an open-like call in a handle released before the call. */
static void store_handle(enum kind k, int n, long fd) {
    if (fd >= 0) fds[k][n] = (int)fd;
}

/* Token counts: a command takes between min and max tokens (its own name included). */
static int argc_in(int argc, int min, int max) { return argc >= min && argc <= max; }

/* Runs one command (tokens without the expectation) and prints " = RESULT[ HEX]". */
static void run(char **t, int argc) {
    const char *cmd = t[0];
    uint64_t a[5] = { 0 };
    long r;
    int err = 0, h, h2;
    enum kind k;

#define BAD() do { printf(" = bad-command"); return; } while (0)
#define NUM(i, dst) do { if (!parse_number(t[i], &(dst))) BAD(); } while (0)
#define OPT(i, dst, dflt) do { if (argc > (i)) NUM(i, dst); else (dst) = (dflt); } while (0)
#define HANDLE(i, kind, dst) do { if (((dst) = parse_handle(t[i], kind)) < 0) BAD(); } while (0)
#define NEED_OPEN(kind, n) do { if (fds[kind][n] < 0) { printf(" = -EBADF"); return; } } while (0)
#define CALL(expr) do { errno = 0; r = (long)(expr); err = errno; } while (0)

    if (strcmp(cmd, "open") == 0) {
        if (argc != 2) BAD();
        HANDLE(1, CONTAINER, h);
        release_handle(CONTAINER, h);
        char path[4096];
        snprintf(path, sizeof path, "%s/vfio", vfio_dir);
        CALL(open(path, O_RDWR));
        store_handle(CONTAINER, h, r);
        if (r >= 0) printf(" = ok"); else print_result(r, err);
    } else if (strcmp(cmd, "group") == 0) {
        struct named_device *dev;
        char path[4096];
        if (argc != 3) BAD();
        HANDLE(1, GROUP, h);
        if (!(dev = parse_device(t[2]))) BAD();
        snprintf(path, sizeof path, "%s/%s", vfio_dir, dev->group);
        release_handle(GROUP, h);
        CALL(open(path, O_RDWR));
        store_handle(GROUP, h, r);
        if (r >= 0) printf(" = ok"); else print_result(r, err);
    } else if (strcmp(cmd, "device") == 0) {
        struct named_device *dev;
        if (argc != 4) BAD();
        HANDLE(1, DEVICE, h);
        HANDLE(2, GROUP, h2);
        if (!(dev = parse_device(t[3]))) BAD();
        NEED_OPEN(GROUP, h2);
        release_handle(DEVICE, h);
        CALL(ioctl(fds[GROUP][h2], VFIO_GROUP_GET_DEVICE_FD, dev->address));
        store_handle(DEVICE, h, r);
        if (r >= 0) printf(" = ok"); else print_result(r, err);
    } else if (strcmp(cmd, "setcontainer") == 0) {
        if (argc != 3) BAD();
        HANDLE(1, GROUP, h);
        HANDLE(2, CONTAINER, h2);
        NEED_OPEN(GROUP, h);
        NEED_OPEN(CONTAINER, h2);
        int cfd = fds[CONTAINER][h2];
        CALL(ioctl(fds[GROUP][h], VFIO_GROUP_SET_CONTAINER, &cfd));
        print_result(r, err);
    } else if (strcmp(cmd, "unsetcontainer") == 0) {
        if (argc != 2) BAD();
        HANDLE(1, GROUP, h);
        NEED_OPEN(GROUP, h);
        CALL(ioctl(fds[GROUP][h], VFIO_GROUP_UNSET_CONTAINER, 0UL));
        print_result(r, err);
    } else if (strcmp(cmd, "status") == 0) {
        if (argc != 2) BAD();
        HANDLE(1, GROUP, h);
        NEED_OPEN(GROUP, h);
        fresh_buffer();
        put32(0, 8);
        CALL(ioctl(fds[GROUP][h], VFIO_GROUP_GET_STATUS, buf));
        print_result(r, err);
        print_hex(buf, 8);
    } else if (strcmp(cmd, "checkext") == 0 || strcmp(cmd, "setiommu") == 0) {
        if (argc != 3) BAD();
        HANDLE(1, CONTAINER, h);
        NUM(2, a[0]);
        NEED_OPEN(CONTAINER, h);
        CALL(ioctl(fds[CONTAINER][h], cmd[0] == 'c' ? VFIO_CHECK_EXTENSION : VFIO_SET_IOMMU, (unsigned long)a[0]));
        print_result(r, err);
    } else if (strcmp(cmd, "info") == 0) {
        if (argc != 3) BAD();
        HANDLE(1, CONTAINER, h);
        NUM(2, a[0]);
        NEED_OPEN(CONTAINER, h);
        fresh_buffer();
        put32(0, a[0]);
        CALL(ioctl(fds[CONTAINER][h], VFIO_IOMMU_SPAPR_TCE_GET_INFO, buf));
        print_result(r, err);
        print_hex(buf, 32);
    } else if (strcmp(cmd, "enable") == 0 || strcmp(cmd, "disable") == 0) {
        if (argc != 2) BAD();
        HANDLE(1, CONTAINER, h);
        NEED_OPEN(CONTAINER, h);
        CALL(ioctl(fds[CONTAINER][h], cmd[0] == 'e' ? VFIO_IOMMU_ENABLE : VFIO_IOMMU_DISABLE, 0UL));
        print_result(r, err);
    } else if (strcmp(cmd, "register") == 0 || strcmp(cmd, "unregister") == 0) {
        if (!argc_in(argc, 4, 6)) BAD();
        HANDLE(1, CONTAINER, h);
        NUM(2, a[0]);
        NUM(3, a[1]);
        OPT(4, a[2], 0);
        OPT(5, a[3], 24);
        NEED_OPEN(CONTAINER, h);
        fresh_buffer();
        put32(0, a[3]);
        put32(4, a[2]);
        put64(8, mem + a[0]);
        put64(16, a[1]);
        CALL(ioctl(fds[CONTAINER][h], cmd[0] == 'r' ? VFIO_IOMMU_SPAPR_REGISTER_MEMORY : VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, buf));
        print_result(r, err);
        put64(8, get64(8) - mem);
        print_hex(buf, 24);
    } else if (strcmp(cmd, "create") == 0) {
        if (!argc_in(argc, 5, 7)) BAD();
        HANDLE(1, CONTAINER, h);
        NUM(2, a[0]);
        NUM(3, a[1]);
        NUM(4, a[2]);
        OPT(5, a[3], 0);
        OPT(6, a[4], 40);
        NEED_OPEN(CONTAINER, h);
        fresh_buffer();
        put32(0, a[4]);
        put32(4, a[3]);
        put32(8, a[0]);
        put32(12, 0);
        put64(16, a[1]);
        put32(24, a[2]);
        put32(28, 0);
        put64(32, 0);
        CALL(ioctl(fds[CONTAINER][h], VFIO_IOMMU_SPAPR_TCE_CREATE, buf));
        print_result(r, err);
        print_hex(buf, 40);
    } else if (strcmp(cmd, "remove") == 0) {
        if (!argc_in(argc, 3, 5)) BAD();
        HANDLE(1, CONTAINER, h);
        NUM(2, a[0]);
        OPT(3, a[1], 0);
        OPT(4, a[2], 16);
        NEED_OPEN(CONTAINER, h);
        fresh_buffer();
        put32(0, a[2]);
        put32(4, a[1]);
        put64(8, a[0]);
        CALL(ioctl(fds[CONTAINER][h], VFIO_IOMMU_SPAPR_TCE_REMOVE, buf));
        print_result(r, err);
        print_hex(buf, 16);
    } else if (strcmp(cmd, "map") == 0) {
        if (!argc_in(argc, 6, 7)) BAD();
        HANDLE(1, CONTAINER, h);
        NUM(2, a[0]);
        NUM(3, a[1]);
        NUM(4, a[2]);
        NUM(5, a[3]);
        OPT(6, a[4], 32);
        NEED_OPEN(CONTAINER, h);
        fresh_buffer();
        put32(0, a[4]);
        put32(4, a[3]);
        put64(8, mem + a[1]);
        put64(16, a[0]);
        put64(24, a[2]);
        CALL(ioctl(fds[CONTAINER][h], VFIO_IOMMU_MAP_DMA, buf));
        print_result(r, err);
        put64(8, get64(8) - mem);
        print_hex(buf, 32);
    } else if (strcmp(cmd, "unmap") == 0) {
        if (!argc_in(argc, 5, 6)) BAD();
        HANDLE(1, CONTAINER, h);
        NUM(2, a[0]);
        NUM(3, a[1]);
        NUM(4, a[2]);
        OPT(5, a[3], 24);
        NEED_OPEN(CONTAINER, h);
        fresh_buffer();
        put32(0, a[3]);
        put32(4, a[2]);
        put64(8, a[0]);
        put64(16, a[1]);
        CALL(ioctl(fds[CONTAINER][h], VFIO_IOMMU_UNMAP_DMA, buf));
        print_result(r, err);
        print_hex(buf, 24);
    } else if (strcmp(cmd, "eeh") == 0) {
        if (!argc_in(argc, 3, 5)) BAD();
        HANDLE(1, CONTAINER, h);
        NUM(2, a[0]);
        OPT(3, a[1], 0);
        OPT(4, a[2], 12);
        NEED_OPEN(CONTAINER, h);
        fresh_buffer();
        put32(0, a[2]);
        put32(4, a[1]);
        put32(8, a[0]);
        CALL(ioctl(fds[CONTAINER][h], VFIO_EEH_PE_OP, buf));
        print_result(r, err);
        print_hex(buf, 40);
    } else if (strcmp(cmd, "inject") == 0) {
        if (!argc_in(argc, 6, 7)) BAD();
        HANDLE(1, CONTAINER, h);
        NUM(2, a[0]);
        NUM(3, a[1]);
        NUM(4, a[2]);
        NUM(5, a[3]);
        OPT(6, a[4], 40);
        NEED_OPEN(CONTAINER, h);
        fresh_buffer();
        put32(0, a[4]);
        put32(4, 0);
        put32(8, VFIO_EEH_PE_INJECT_ERR);
        put32(16, a[0]);
        put32(20, a[1]);
        put64(24, a[2]);
        put64(32, a[3]);
        CALL(ioctl(fds[CONTAINER][h], VFIO_EEH_PE_OP, buf));
        print_result(r, err);
        print_hex(buf, 40);
    } else if (strcmp(cmd, "read") == 0) {
        unsigned char data[MAX_IO];
        if (argc != 5) BAD();
        HANDLE(1, DEVICE, h);
        NUM(2, a[0]);
        NUM(3, a[1]);
        NUM(4, a[2]);
        if (a[2] < 1 || a[2] > MAX_IO) BAD();
        NEED_OPEN(DEVICE, h);
        CALL(pread(fds[DEVICE][h], data, (size_t)a[2], (off_t)((a[0] << 40) + a[1])));
        print_result(r, err);
        if (r > 0) print_hex(data, (size_t)r);
    } else if (strcmp(cmd, "write") == 0) {
        unsigned char data[MAX_IO];
        size_t len;
        if (argc != 5) BAD();
        len = strlen(t[4]);
        HANDLE(1, DEVICE, h);
        NUM(2, a[0]);
        NUM(3, a[1]);
        if (len == 0 || len % 2 != 0 || len / 2 > MAX_IO) BAD();
        for (size_t i = 0; i < len / 2; i++) {
            int hi = hexval(t[4][2 * i]), lo = hexval(t[4][2 * i + 1]);
            if (hi < 0 || lo < 0) BAD();
            data[i] = (unsigned char)(hi << 4 | lo);
        }
        NEED_OPEN(DEVICE, h);
        CALL(pwrite(fds[DEVICE][h], data, len / 2, (off_t)((a[0] << 40) + a[1])));
        print_result(r, err);
    } else if (strcmp(cmd, "close") == 0) {
        if (argc != 2) BAD();
        if ((h = parse_any_handle(t[1], &k)) < 0) BAD();
        NEED_OPEN(k, h);
        r = close_handle(k, h, &err);
        print_result(r, err);
    } else if (strcmp(cmd, "closeall") == 0) {
        static const enum kind order[KINDS] = { DEVICE, GROUP, CONTAINER };
        if (argc != 1) BAD();
        for (int i = 0; i < KINDS; i++)
            for (int n = HANDLES - 1; n >= 0; n--)
                if (fds[order[i]][n] >= 0) close_handle(order[i], n, &err);
        printf(" = 0");
    } else {
        BAD();
    }
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: spapr-probe SCRIPT\n");
        return 2;
    }
    FILE *script = fopen(argv[1], "r");
    if (!script) {
        fprintf(stderr, "spapr-probe: cannot open %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (getenv("SPAPR_PROBE_VFIO_DIR")) vfio_dir = getenv("SPAPR_PROBE_VFIO_DIR");
    for (int k = 0; k < KINDS; k++)
        for (int n = 0; n < HANDLES; n++) fds[k][n] = -1;

    void *area = mmap(NULL, MEM_SIZE + MEM_ALIGN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) {
        fprintf(stderr, "spapr-probe: cannot map the script's memory: %s\n", strerror(errno));
        return 2;
    }
    mem = ((uint64_t)(uintptr_t)area + MEM_ALIGN - 1) & ~(MEM_ALIGN - 1);
    memset((void *)(uintptr_t)mem, 0, MEM_SIZE);

    find_devices();
    for (size_t d = 0; d < DEVICE_COUNT; d++)
        if (strcmp(devices[d].address, "unknown") != 0)
            printf("@@# device %s %s group %s\n", devices[d].name, devices[d].address, devices[d].group);
    struct utsname u;
    printf("@@# kernel %s\n", uname(&u) == 0 ? u.release : "unknown");

    char *line = NULL;
    size_t cap = 0;
    char **tokens = NULL;
    size_t token_cap = 0;
    long number = 0, commands = 0;
    double start = now();
    while (getline(&line, &cap, script) >= 0) {
        number++;
        /* split on blanks; the expectation starts at the first token "=>" */
        int count = 0;
        char *p = line;
        for (;;) {
            while (*p && is_blank(*p)) p++;
            if (!*p) break;
            char *tok = p;
            while (*p && !is_blank(*p)) p++;
            if (*p) *p++ = 0;
            if (strcmp(tok, "=>") == 0) break;
            if ((size_t)count == token_cap) {
                token_cap = token_cap ? 2 * token_cap : 16;
                char **grown = realloc(tokens, token_cap * sizeof *tokens);
                if (!grown) { fprintf(stderr, "spapr-probe: out of memory\n"); return 2; }
                tokens = grown;
            }
            tokens[count++] = tok;
        }
        /* blank lines and comments print nothing; a line of only an expectation is a (bad) command */
        char *first = line;
        while (*first && is_blank(*first)) first++;
        if (!*first || *first == '#') continue;
        printf("@@ %ld ", number);
        for (int i = 0; i < count; i++) printf(i ? " %s" : "%s", tokens[i]);
        double began = now();
        if (count == 0) printf(" = bad-command");
        else run(tokens, count);
        putchar('\n');
        commands++;
        /* slow calls (resets) are worth knowing when sizing scripts; stderr, not a result line */
        double took = now() - began;
        if (took >= SLOW_CALL_SECONDS) fprintf(stderr, "spapr-probe: line %ld took %.3f s\n", number, took);
    }
    printf("@@# end\n");
    fflush(stdout);
    fprintf(stderr, "spapr-probe: %ld commands in %.3f s\n", commands, now() - start);
    free(line);
    free(tokens);
    fclose(script);
    return 0;
}
