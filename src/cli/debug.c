/* podctl debug POD [-i] [-t] --image=IMAGE [--target=C] [-c NAME]
 *                  [--image-pull-policy=P] [--env=K=V]... [--attach=true|false] [-q]
 *                  [-- COMMAND [ARGS...]]
 * kubectl debug's ephemeral container mode: a new container (an
 * EphemeralContainer, "debugger-xxxxx" unless -c names it) in the running
 * Pod's namespaces, in C's PID namespace with --target, never restarted,
 * shown under ephemeralContainers in get -o yaml and describe, removed with
 * the Pod. The image is pulled first when the store lacks it (or under
 * Always). With -i (and --attach, its default) podctl attaches to it once it
 * runs, as kubectl does. The copy-of-Pod and node modes (--copy-to, node/X)
 * are not podctl's (docs/DEVIATIONS.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/image.h"
#include "image/registry.h"
#include "util/cleanup.h"
#include "util/imageref.h"

static const char use[] =
    "usage: podctl debug POD [-i] [-t] --image=IMAGE [--target=CONTAINER] [-c NAME] "
    "[--image-pull-policy=P] [--env=K=V] [--attach=BOOL] [-q] [-- COMMAND [ARGS...]]";

/* kubectl's: "debugger-" and five random lowercase letters and digits */
static void debugger_name(char out[16])
{
        static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
        unsigned char r[5] = {0};
        if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
                for (size_t i = 0; i < sizeof(r); i++)
                        r[i] = (unsigned char)rand();
        memcpy(out, "debugger-", 9);
        for (size_t i = 0; i < 5; i++)
                out[9 + i] = alnum[r[i] % (sizeof(alnum) - 1)];
        out[14] = '\0';
}

/* The image in the store, as its pull policy asks. */
static int ensure_image(struct pc_cli *cli, podctl *ctx, const char *image, const char *policy,
                        bool quiet, pc_error *err)
{
        pc_image_store *s = NULL;
        if (pc_image_store_open(podctl_root_dir(ctx), &s, err) < 0)
                return -1;
        struct pc_image *img = NULL;
        bool present = pc_image_get(s, image, &img, err) == 0;
        bool loaded_only = present && !pc_image_pulled(s, image);
        pc_image_free(img);
        pc_image_store_close(s);
        if (present && (strcmp(policy, "Always") != 0 || loaded_only))
                return 0;
        if (!strcmp(policy, "Never"))
                return pc_fail(err, ENOENT,
                               "container image \"%s\" is not present with pull policy of Never",
                               image);
        struct pc_pull_result res = {0};
        int r = pc_cli_pull(cli, image, NULL, NULL, NULL, quiet, &res, err);
        pc_pull_result_clear(&res);
        return r;
}

/* The ephemeral container's status once it is no longer waiting: 1 running,
 * 0 ended, -1 timeout or failure. */
static int wait_running(podctl *ctx, const char *ns, const char *pod, const char *name,
                        pc_error *err)
{
        for (int i = 0; i < 600; i++) {
                json_t *p = NULL;
                if (podctl_pod_get(ctx, ns, pod, &p, err) < 0)
                        return -1;
                json_t *st = NULL;
                size_t k;
                json_t *cs;
                json_array_foreach(
                    json_object_get(json_object_get(p, "status"), "ephemeralContainerStatuses"), k,
                    cs) if (!strcmp(json_string_value(json_object_get(cs, "name")) ?: "", name))
                    st = json_object_get(cs, "state");
                int r = json_object_get(st, "running")      ? 1
                        : json_object_get(st, "terminated") ? 0
                                                            : 2;
                const char *why = json_string_value(
                    json_object_get(json_object_get(st, "terminated"), "message"));
                if (r == 0 && why)
                        fprintf(stderr, "container %s: %s\n", name, why);
                json_decref(p);
                if (r != 2)
                        return r;
                struct timespec ts = {0, 100 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        return pc_fail(err, ETIMEDOUT, "container %s did not start within 60s", name);
}

int cmd_debug(struct pc_cli *cli, int argc, char **argv)
{
        const char *pod = NULL, *image = NULL, *target = NULL, *cname = NULL, *policy = NULL, *v;
        bool in = false, tty = false, quiet = false;
        int attach = -1;
        json_t *env = json_array();
        json_t *cmd = NULL;
        int i;
        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--")) {
                        cmd = json_array();
                        for (i++; i < argc; i++)
                                json_array_append_new(cmd, json_string(argv[i]));
                        break;
                }
                if ((v = pc_cli_flag(argc, argv, &i, "--image")))
                        image = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "--target")))
                        target = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "-c")) ||
                         (v = pc_cli_flag(argc, argv, &i, "--container")))
                        cname = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "--image-pull-policy")))
                        policy = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "--env"))) {
                        const char *eq = strchr(v, '=');
                        if (!eq || eq == v) {
                                json_decref(env);
                                json_decref(cmd);
                                return pc_cli_fail("--env: \"%s\": want KEY=VALUE", v);
                        }
                        _cleanup_free_ char *k = strndup(v, (size_t)(eq - v));
                        json_array_append_new(env,
                                              json_pack("{s:s,s:s}", "name", k, "value", eq + 1));
                } else if ((v = pc_cli_flag(argc, argv, &i, "--attach")))
                        attach = strcmp(v, "false") != 0;
                else if (!strcmp(argv[i], "-i") || !strcmp(argv[i], "--stdin"))
                        in = true;
                else if (!strcmp(argv[i], "-t") || !strcmp(argv[i], "--tty"))
                        tty = true;
                else if (!strcmp(argv[i], "-it") || !strcmp(argv[i], "-ti"))
                        in = tty = true;
                else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
                        quiet = true;
                else if (!strncmp(argv[i], "--copy-to", 9) || !strncmp(argv[i], "--profile", 9) ||
                         !strncmp(argv[i], "--share-processes", 17)) {
                        json_decref(env);
                        json_decref(cmd);
                        return pc_cli_fail("debug %s: podctl adds ephemeral containers only "
                                           "(no copy of the Pod, no profiles)",
                                           argv[i]);
                } else if (argv[i][0] == '-') {
                        json_decref(env);
                        json_decref(cmd);
                        return pc_cli_fail("unknown flag \"%s\" for debug", argv[i]);
                } else if (!pod)
                        pod = argv[i];
                else {
                        json_decref(env);
                        json_decref(cmd);
                        return pc_cli_fail("%s", use);
                }
        }
        if (pod && !strncmp(pod, "pod/", 4))
                pod += 4;
        if (!pod || !image) {
                json_decref(env);
                json_decref(cmd);
                return pc_cli_fail("%s%s", !pod ? "" : "--image is required\n", use);
        }
        if (pod && !strncmp(pod, "node/", 5)) {
                json_decref(env);
                json_decref(cmd);
                return pc_cli_fail("debug node/...: podctl has no node debugging (use a Pod with "
                                   "hostPID, hostNetwork and a hostPath of /)");
        }
        char gen[16];
        if (!cname) {
                debugger_name(gen);
                cname = gen;
                if (!quiet)
                        fprintf(stderr, "Defaulting debug container name to %s.\n", cname);
        }
        if (attach < 0)
                attach = in;
        json_t *ec =
            json_pack("{s:s,s:s,s:s,s:b,s:b,s:o}", "name", cname, "image", image,
                      "terminationMessagePolicy", "File", "stdin", in, "tty", tty, "env", env);
        if (cmd)
                json_object_set_new(ec, "command", cmd);
        if (target)
                json_object_set_new(ec, "targetContainerName", json_string(target));
        if (policy)
                json_object_set_new(ec, "imagePullPolicy", json_string(policy));
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx) {
                json_decref(ec);
                return 1;
        }
        pc_error err;
        const char *pol = policy ? policy : pc_imgref_default_pull_policy(image);
        if (ensure_image(cli, ctx, image, pol, true, &err) < 0 ||
            podctl_pod_add_ephemeral(ctx, cli->namespace_, pod, ec, &err) < 0) {
                json_decref(ec);
                return pc_cli_die(&err);
        }
        json_decref(ec);
        if (!attach)
                return 0;
        int r = wait_running(ctx, cli->namespace_, pod, cname, &err);
        if (r < 0)
                return pc_cli_die(&err);
        if (r == 0)
                return 1;
        char *av[8] = {"attach", (char *)pod, "-c", (char *)cname};
        int ac = 4;
        if (in)
                av[ac++] = "-i";
        if (tty)
                av[ac++] = "-t";
        if (quiet)
                av[ac++] = "-q";
        return cmd_attach(cli, ac, av);
}
