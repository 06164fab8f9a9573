/* Pod sandboxes: not yet (step 4). */
#include "cri/internal.h"

#define UNDONE(fn, what)                                                                           \
        void fn(struct cri_call *c, const ProtobufCMessage *req)                                   \
        {                                                                                          \
                pc_grpc_fail(c->out, PC_GRPC_UNIMPLEMENTED, what " is not implemented yet");       \
        }
UNDONE(cri_run_sandbox, "RunPodSandbox")
UNDONE(cri_stop_sandbox, "StopPodSandbox")
UNDONE(cri_remove_sandbox, "RemovePodSandbox")
UNDONE(cri_sandbox_status, "PodSandboxStatus")
UNDONE(cri_list_sandboxes, "ListPodSandbox")
