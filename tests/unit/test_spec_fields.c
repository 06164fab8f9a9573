/* docs/FIELDS.md is what the validator's schema says (regenerate with
 * `make fields`), and every field of Kubernetes' v1 Pod API (k8s.io/api
 * core/v1 types.go, 1.34) has a disposition there: applied, refused or
 * warned, never an unknown field parsed and dropped. */
#include "unit.h"

#include <stdlib.h>

#include "spec/spec.h"
#include "util/util.h"

/* Kubernetes' v1 fields, by path as docs/FIELDS.md writes them. */
static const char *const k8s_fields[] = {
    /* Pod, ObjectMeta */
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "status",
    "metadata.name",
    "metadata.generateName",
    "metadata.namespace",
    "metadata.selfLink",
    "metadata.uid",
    "metadata.resourceVersion",
    "metadata.generation",
    "metadata.creationTimestamp",
    "metadata.deletionTimestamp",
    "metadata.deletionGracePeriodSeconds",
    "metadata.labels",
    "metadata.annotations",
    "metadata.ownerReferences",
    "metadata.finalizers",
    "metadata.managedFields",
    /* PodSpec */
    "spec.volumes",
    "spec.initContainers",
    "spec.containers",
    "spec.ephemeralContainers",
    "spec.restartPolicy",
    "spec.terminationGracePeriodSeconds",
    "spec.activeDeadlineSeconds",
    "spec.dnsPolicy",
    "spec.nodeSelector",
    "spec.serviceAccountName",
    "spec.serviceAccount",
    "spec.automountServiceAccountToken",
    "spec.nodeName",
    "spec.hostNetwork",
    "spec.hostPID",
    "spec.hostIPC",
    "spec.shareProcessNamespace",
    "spec.securityContext",
    "spec.imagePullSecrets",
    "spec.hostname",
    "spec.subdomain",
    "spec.affinity",
    "spec.schedulerName",
    "spec.tolerations",
    "spec.hostAliases",
    "spec.priorityClassName",
    "spec.priority",
    "spec.dnsConfig",
    "spec.readinessGates",
    "spec.runtimeClassName",
    "spec.enableServiceLinks",
    "spec.preemptionPolicy",
    "spec.overhead",
    "spec.topologySpreadConstraints",
    "spec.setHostnameAsFQDN",
    "spec.os",
    "spec.hostUsers",
    "spec.schedulingGates",
    "spec.resourceClaims",
    "spec.resources",
    "spec.hostnameOverride",
    /* PodSecurityContext */
    "spec.securityContext.seLinuxOptions",
    "spec.securityContext.windowsOptions",
    "spec.securityContext.runAsUser",
    "spec.securityContext.runAsGroup",
    "spec.securityContext.runAsNonRoot",
    "spec.securityContext.supplementalGroups",
    "spec.securityContext.supplementalGroupsPolicy",
    "spec.securityContext.fsGroup",
    "spec.securityContext.sysctls",
    "spec.securityContext.fsGroupChangePolicy",
    "spec.securityContext.seccompProfile",
    "spec.securityContext.appArmorProfile",
    "spec.securityContext.seLinuxChangePolicy",
    /* Container */
    "spec.containers[].name",
    "spec.containers[].image",
    "spec.containers[].command",
    "spec.containers[].args",
    "spec.containers[].workingDir",
    "spec.containers[].ports",
    "spec.containers[].envFrom",
    "spec.containers[].env",
    "spec.containers[].resources",
    "spec.containers[].resizePolicy",
    "spec.containers[].restartPolicy",
    "spec.containers[].restartPolicyRules",
    "spec.containers[].volumeMounts",
    "spec.containers[].volumeDevices",
    "spec.containers[].livenessProbe",
    "spec.containers[].readinessProbe",
    "spec.containers[].startupProbe",
    "spec.containers[].lifecycle",
    "spec.containers[].terminationMessagePath",
    "spec.containers[].terminationMessagePolicy",
    "spec.containers[].imagePullPolicy",
    "spec.containers[].securityContext",
    "spec.containers[].stdin",
    "spec.containers[].stdinOnce",
    "spec.containers[].tty",
    "spec.containers[].lifecycle.postStart",
    "spec.containers[].lifecycle.preStop",
    "spec.containers[].lifecycle.stopSignal",
    "spec.containers[].resources.limits",
    "spec.containers[].resources.requests",
    "spec.containers[].resources.claims",
    "spec.containers[].env[].name",
    "spec.containers[].env[].value",
    "spec.containers[].env[].valueFrom",
    "spec.containers[].env[].valueFrom.fieldRef",
    "spec.containers[].env[].valueFrom.resourceFieldRef",
    "spec.containers[].env[].valueFrom.configMapKeyRef",
    "spec.containers[].env[].valueFrom.secretKeyRef",
    "spec.containers[].env[].valueFrom.fileKeyRef",
    "spec.containers[].env[].valueFrom.resourceFieldRef.containerName",
    "spec.containers[].env[].valueFrom.resourceFieldRef.resource",
    "spec.containers[].env[].valueFrom.resourceFieldRef.divisor",
    "spec.containers[].envFrom[].prefix",
    "spec.containers[].envFrom[].configMapRef",
    "spec.containers[].envFrom[].secretRef",
    "spec.containers[].ports[].name",
    "spec.containers[].ports[].hostPort",
    "spec.containers[].ports[].containerPort",
    "spec.containers[].ports[].protocol",
    "spec.containers[].ports[].hostIP",
    "spec.containers[].volumeMounts[].name",
    "spec.containers[].volumeMounts[].readOnly",
    "spec.containers[].volumeMounts[].recursiveReadOnly",
    "spec.containers[].volumeMounts[].mountPath",
    "spec.containers[].volumeMounts[].subPath",
    "spec.containers[].volumeMounts[].mountPropagation",
    "spec.containers[].volumeMounts[].subPathExpr",
    /* SecurityContext */
    "spec.containers[].securityContext.capabilities",
    "spec.containers[].securityContext.privileged",
    "spec.containers[].securityContext.seLinuxOptions",
    "spec.containers[].securityContext.windowsOptions",
    "spec.containers[].securityContext.runAsUser",
    "spec.containers[].securityContext.runAsGroup",
    "spec.containers[].securityContext.runAsNonRoot",
    "spec.containers[].securityContext.readOnlyRootFilesystem",
    "spec.containers[].securityContext.allowPrivilegeEscalation",
    "spec.containers[].securityContext.procMount",
    "spec.containers[].securityContext.seccompProfile",
    "spec.containers[].securityContext.appArmorProfile",
    /* Probe, handlers */
    "spec.containers[].livenessProbe.exec",
    "spec.containers[].livenessProbe.httpGet",
    "spec.containers[].livenessProbe.tcpSocket",
    "spec.containers[].livenessProbe.grpc",
    "spec.containers[].livenessProbe.initialDelaySeconds",
    "spec.containers[].livenessProbe.timeoutSeconds",
    "spec.containers[].livenessProbe.periodSeconds",
    "spec.containers[].livenessProbe.successThreshold",
    "spec.containers[].livenessProbe.failureThreshold",
    "spec.containers[].livenessProbe.terminationGracePeriodSeconds",
    "spec.containers[].livenessProbe.httpGet.path",
    "spec.containers[].livenessProbe.httpGet.port",
    "spec.containers[].livenessProbe.httpGet.host",
    "spec.containers[].livenessProbe.httpGet.scheme",
    "spec.containers[].livenessProbe.httpGet.httpHeaders",
    "spec.containers[].lifecycle.preStop.sleep",
    /* init containers have the same fields */
    "spec.initContainers[].restartPolicy",
    "spec.initContainers[].volumeMounts[].subPathExpr",
    /* Volume */
    "spec.volumes[].name",
    "spec.volumes[].hostPath",
    "spec.volumes[].emptyDir",
    "spec.volumes[].gcePersistentDisk",
    "spec.volumes[].awsElasticBlockStore",
    "spec.volumes[].gitRepo",
    "spec.volumes[].secret",
    "spec.volumes[].nfs",
    "spec.volumes[].iscsi",
    "spec.volumes[].glusterfs",
    "spec.volumes[].persistentVolumeClaim",
    "spec.volumes[].rbd",
    "spec.volumes[].flexVolume",
    "spec.volumes[].cinder",
    "spec.volumes[].cephfs",
    "spec.volumes[].flocker",
    "spec.volumes[].downwardAPI",
    "spec.volumes[].fc",
    "spec.volumes[].azureFile",
    "spec.volumes[].configMap",
    "spec.volumes[].vsphereVolume",
    "spec.volumes[].quobyte",
    "spec.volumes[].azureDisk",
    "spec.volumes[].photonPersistentDisk",
    "spec.volumes[].projected",
    "spec.volumes[].portworxVolume",
    "spec.volumes[].scaleIO",
    "spec.volumes[].storageos",
    "spec.volumes[].csi",
    "spec.volumes[].ephemeral",
    "spec.volumes[].image",
    "spec.volumes[].image.reference",
    "spec.volumes[].image.pullPolicy",
    "spec.volumes[].hostPath.path",
    "spec.volumes[].hostPath.type",
    "spec.volumes[].emptyDir.medium",
    "spec.volumes[].emptyDir.sizeLimit",
    "spec.volumes[].configMap.name",
    "spec.volumes[].configMap.items",
    "spec.volumes[].configMap.defaultMode",
    "spec.volumes[].configMap.optional",
    "spec.volumes[].configMap.items[].key",
    "spec.volumes[].configMap.items[].path",
    "spec.volumes[].configMap.items[].mode",
    "spec.volumes[].secret.secretName",
    "spec.volumes[].secret.items",
    "spec.volumes[].secret.defaultMode",
    "spec.volumes[].secret.optional",
    "spec.volumes[].downwardAPI.items",
    "spec.volumes[].downwardAPI.defaultMode",
    "spec.volumes[].downwardAPI.items[].path",
    "spec.volumes[].downwardAPI.items[].fieldRef",
    "spec.volumes[].downwardAPI.items[].resourceFieldRef",
    "spec.volumes[].downwardAPI.items[].mode",
    "spec.volumes[].projected.sources",
    "spec.volumes[].projected.defaultMode",
    "spec.volumes[].projected.sources[].secret",
    "spec.volumes[].projected.sources[].downwardAPI",
    "spec.volumes[].projected.sources[].configMap",
    "spec.volumes[].projected.sources[].serviceAccountToken",
    "spec.volumes[].projected.sources[].clusterTrustBundle",
    "spec.volumes[].projected.sources[].podCertificate",
    /* ConfigMap, Secret */
    "data",
    "binaryData",
    "immutable",
    "stringData",
    "type",
};

static char *generated(void)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        pc_spec_fields_markdown(f);
        fclose(f);
        return buf;
}

static void test_doc_matches_schema(void)
{
        char *gen = generated();
        if (getenv("PODCTL_WRITE_FIELDS")) {
                pc_error err;
                CHECK(pc_write_file_atomic("docs/FIELDS.md", gen, strlen(gen), 0644, &err) == 0);
        }
        char *doc = NULL;
        pc_error err;
        CHECK(pc_read_file("docs/FIELDS.md", &doc, NULL, &err) == 0);
        if (doc && strcmp(doc, gen))
                fprintf(stderr, "docs/FIELDS.md is not what the schema says: run `make fields`\n");
        CHECK(doc && !strcmp(doc, gen));
        free(doc);
        free(gen);
}

static void test_every_k8s_field_has_a_row(void)
{
        char *gen = generated();
        for (size_t i = 0; i < PC_ARRAY_SIZE(k8s_fields); i++) {
                char *row = pc_xasprintf("| `%s` |", k8s_fields[i]);
                if (!strstr(gen, row))
                        fprintf(stderr, "no disposition for %s\n", k8s_fields[i]);
                CHECK(strstr(gen, row) != NULL);
                free(row);
        }
        free(gen);
}

int main(void)
{
        test_doc_matches_schema();
        test_every_k8s_field_has_a_row();
        UNIT_DONE();
}
