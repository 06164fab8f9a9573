/* bench/unpack STORE LAYER: time podctl's layer unpack alone.
 *
 * Puts LAYER (a tar, plain or compressed) into a fresh image store at STORE
 * (its diff_id from a decompressed copy), then times pc_layer_unpack, the
 * code path of `image pull`, `image load` and `image import`, and prints
 * the seconds it took, wall clock and CPU (user + system, all threads).
 * bench/unpack-run compares it with `tar -x`. */
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "image/image_int.h"

int main(int argc, char **argv)
{
        pc_error err;
        pc_image_store *s = NULL;
        char digest[72], diff_id[72];
        if (argc != 3) {
                fprintf(stderr, "usage: %s STORE LAYER\n", argv[0]);
                return 2;
        }
        if (pc_image_store_open(argv[1], &s, &err) < 0 ||
            pc_blob_put_file(s, argv[2], NULL, false, digest, NULL, &err) < 0 ||
            pc_blob_put_file(s, argv[2], NULL, true, diff_id, NULL, &err) < 0) {
                fprintf(stderr, "error: %s\n", err.msg);
                return 1;
        }
        struct timespec a, b;
        struct rusage ra, rb;
        getrusage(RUSAGE_SELF, &ra);
        clock_gettime(CLOCK_MONOTONIC, &a);
        int r = pc_layer_unpack(s, digest, diff_id, &err);
        clock_gettime(CLOCK_MONOTONIC, &b);
        getrusage(RUSAGE_SELF, &rb);
        if (r < 0) {
                fprintf(stderr, "error: %s\n", err.msg);
                return 1;
        }
        double cpu = (double)(rb.ru_utime.tv_sec - ra.ru_utime.tv_sec + rb.ru_stime.tv_sec -
                              ra.ru_stime.tv_sec) +
                     (double)(rb.ru_utime.tv_usec - ra.ru_utime.tv_usec + rb.ru_stime.tv_usec -
                              ra.ru_stime.tv_usec) /
                         1e6;
        printf("%.3f %.3f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
               cpu);
        pc_image_store_close(s);
        return 0;
}
