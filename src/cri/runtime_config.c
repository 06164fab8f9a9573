/* UpdateRuntimeConfig: the kubelet hands the node's pod CIDR to the
 * runtime; podctl's own network of the CRI root takes that range for the
 * sandboxes made from then on (net.h, pc_net_set_pod_cidr). */
#include "cri/internal.h"
#include "net/net.h"
#include "util/cleanup.h"
#include "util/util.h"

void cri_update_runtime_config(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__UpdateRuntimeConfigRequest *q = (const void *)req;
        const char *cidr = q->runtime_config && q->runtime_config->network_config
                               ? q->runtime_config->network_config->pod_cidr
                               : NULL;
        _cleanup_free_ char *conf = pc_xasprintf("%s/cni/net.d", c->cri->cri_root);
        _cleanup_free_ char *cache = pc_xasprintf("%s/cni/cache", c->cri->cri_root);
        struct pc_net_config cfg = {.conf_dir = conf, .cache_dir = cache};
        pc_error err = {0};
        bool applied = false;
        if (pc_net_set_pod_cidr(&cfg, cidr, &applied, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__UpdateRuntimeConfigResponse out =
            RUNTIME__V1__UPDATE_RUNTIME_CONFIG_RESPONSE__INIT;
        cri_reply(c, &out.base);
}
