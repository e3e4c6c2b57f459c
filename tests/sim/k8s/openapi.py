"""OpenAPI v3 documents (/openapi/v3 and /openapi/v3/<prefix>) for kubectl explain and apply.

The schemas are hand-written and cover the commonly used fields of the core
workload types in detail (Pod, Deployment, Service, ...); other kinds get
their top-level shape. Each PATCH operation lists the `fieldValidation` query
parameter, so kubectl validates through the server (fieldValidation=Strict)
instead of downloading schemas to validate client-side.

Deliberate difference: PATCH request bodies do not list
application/strategic-merge-patch+json. With a partial schema, kubectl's
client-side apply would stop at the first field missing from it and print a
warning; without the entry it computes the strategic patch from its compiled-in
Go types, which is exactly what it would compute from the full upstream schema.
"""

import hashlib
import json

import resources

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
CORE = "io.k8s.api.core.v1."
APPS = "io.k8s.api.apps.v1."

APIVERSION = ("APIVersion defines the versioned schema of this representation of an object. "
              "Servers should convert recognized schemas to the latest internal value, and may "
              "reject unrecognized values. More info: https://git.k8s.io/community/contributors/"
              "devel/sig-architecture/api-conventions.md#resources")
KIND = ("Kind is a string value representing the REST resource this object represents. Servers "
        "may infer this from the endpoint the client submits requests to. Cannot be updated. In "
        "CamelCase. More info: https://git.k8s.io/community/contributors/devel/"
        "sig-architecture/api-conventions.md#types-kinds")
METADATA = ("Standard object's metadata. More info: https://git.k8s.io/community/contributors/"
            "devel/sig-architecture/api-conventions.md#metadata")
SPEC = ("Specification of the desired behavior. More info: https://git.k8s.io/community/"
        "contributors/devel/sig-architecture/api-conventions.md#spec-and-status")
STATUS = ("Most recently observed status. This data may not be up to date. Populated by the "
          "system. Read-only. More info: https://git.k8s.io/community/contributors/devel/"
          "sig-architecture/api-conventions.md#spec-and-status")

# name -> (description, {field: (type, description[, extensions])}, required)
# types: string integer boolean number map object [ ]T @Ref quantity time intorstring
TYPES = {
    META + "ObjectMeta": ("ObjectMeta is metadata that all persisted resources must have, which "
                          "includes all objects users must create.", {
        "name": ("string", "Name must be unique within a namespace. Is required when creating "
                           "resources, although some resources may allow a client to request "
                           "the generation of an appropriate name automatically."),
        "generateName": ("string", "GenerateName is an optional prefix, used by the server, to "
                                   "generate a unique name ONLY IF the Name field has not been "
                                   "provided."),
        "namespace": ("string", "Namespace defines the space within which each name must be "
                                "unique. An empty namespace is equivalent to the \"default\" "
                                "namespace."),
        "uid": ("string", "UID is the unique in time and space value for this object."),
        "resourceVersion": ("string", "An opaque value that represents the internal version of "
                                      "this object that can be used by clients to determine "
                                      "when objects have changed."),
        "generation": ("integer", "A sequence number representing a specific generation of the "
                                  "desired state. Populated by the system. Read-only."),
        "creationTimestamp": ("time", "CreationTimestamp is a timestamp representing the server "
                                      "time when this object was created."),
        "deletionTimestamp": ("time", "DeletionTimestamp is RFC 3339 date and time at which "
                                      "this resource will be deleted."),
        "deletionGracePeriodSeconds": ("integer", "Number of seconds allowed for this object to "
                                                  "gracefully terminate before it will be "
                                                  "removed from the system."),
        "labels": ("map", "Map of string keys and values that can be used to organize and "
                          "categorize (scope and select) objects."),
        "annotations": ("map", "Annotations is an unstructured key value map stored with a "
                               "resource that may be set by external tools to store and "
                               "retrieve arbitrary metadata."),
        "ownerReferences": ("[]@" + META + "OwnerReference", "List of objects depended by this "
                                                              "object.",
                            {"x-kubernetes-patch-merge-key": "uid",
                             "x-kubernetes-patch-strategy": "merge"}),
        "finalizers": ("[]string", "Must be empty before the object is deleted from the "
                                   "registry.", {"x-kubernetes-patch-strategy": "merge",
                                                 "x-kubernetes-list-type": "set"}),
        "managedFields": ("[]@" + META + "ManagedFieldsEntry", "ManagedFields maps "
                                                                "workflow-id and version to the "
                                                                "set of fields that are managed "
                                                                "by that workflow."),
    }, []),
    META + "OwnerReference": ("OwnerReference contains enough information to let you identify "
                              "an owning object.", {
        "apiVersion": ("string", "API version of the referent."),
        "kind": ("string", "Kind of the referent."),
        "name": ("string", "Name of the referent."),
        "uid": ("string", "UID of the referent."),
        "controller": ("boolean", "If true, this reference points to the managing controller."),
        "blockOwnerDeletion": ("boolean", "If true, AND if the owner has the "
                                          "\"foregroundDeletion\" finalizer, then the owner "
                                          "cannot be deleted from the key-value store until "
                                          "this reference is removed."),
    }, ["apiVersion", "kind", "name", "uid"]),
    META + "ManagedFieldsEntry": ("ManagedFieldsEntry is a workflow-id, a FieldSet and the "
                                  "group version of the resource that the fieldset applies "
                                  "to.", {
        "manager": ("string", "Manager is an identifier of the workflow managing these fields."),
        "operation": ("string", "Operation is the type of operation which lead to this "
                                "ManagedFieldsEntry being created."),
        "apiVersion": ("string", "APIVersion defines the version of this resource that this "
                                 "field set applies to."),
        "time": ("time", "Time is the timestamp of when the ManagedFields entry was added."),
        "fieldsType": ("string", "FieldsType is the discriminator for the different fields "
                                 "format and version."),
        "fieldsV1": ("object", "FieldsV1 holds the first JSON version format as described in "
                               "the \"FieldsV1\" type."),
        "subresource": ("string", "Subresource is the name of the subresource used to update "
                                  "that object."),
    }, []),
    META + "LabelSelector": ("A label selector is a label query over a set of resources.", {
        "matchLabels": ("map", "matchLabels is a map of {key,value} pairs."),
        "matchExpressions": ("[]object", "matchExpressions is a list of label selector "
                                         "requirements. The requirements are ANDed."),
    }, []),
    CORE + "Pod": ("Pod is a collection of containers that can run on a host. This resource is "
                   "created by clients and scheduled onto hosts.", {
        "apiVersion": ("string", APIVERSION), "kind": ("string", KIND),
        "metadata": ("@" + META + "ObjectMeta", METADATA),
        "spec": ("@" + CORE + "PodSpec", "Specification of the desired behavior of the pod. "
                                         "More info: https://git.k8s.io/community/contributors/"
                                         "devel/sig-architecture/api-conventions.md"
                                         "#spec-and-status"),
        "status": ("@" + CORE + "PodStatus", "Most recently observed status of the pod. This "
                                             "data may not be up to date. Populated by the "
                                             "system. Read-only. More info: https://git.k8s.io/"
                                             "community/contributors/devel/sig-architecture/"
                                             "api-conventions.md#spec-and-status"),
    }, []),
    CORE + "PodSpec": ("PodSpec is a description of a pod.", {
        "containers": ("[]@" + CORE + "Container", "List of containers belonging to the pod. "
                                                    "Containers cannot currently be added or "
                                                    "removed. There must be at least one "
                                                    "container in a Pod. Cannot be updated.",
                       {"x-kubernetes-patch-merge-key": "name",
                        "x-kubernetes-patch-strategy": "merge",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"]}),
        "initContainers": ("[]@" + CORE + "Container", "List of initialization containers "
                                                        "belonging to the pod.",
                           {"x-kubernetes-patch-merge-key": "name",
                            "x-kubernetes-patch-strategy": "merge",
                            "x-kubernetes-list-type": "map",
                            "x-kubernetes-list-map-keys": ["name"]}),
        "volumes": ("[]@" + CORE + "Volume", "List of volumes that can be mounted by containers "
                                              "belonging to the pod.",
                    {"x-kubernetes-patch-merge-key": "name",
                     "x-kubernetes-patch-strategy": "merge,retainKeys",
                     "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}),
        "nodeName": ("string", "NodeName indicates in which node this pod is scheduled."),
        "nodeSelector": ("map", "NodeSelector is a selector which must be true for the pod to "
                                "fit on a node."),
        "serviceAccountName": ("string", "ServiceAccountName is the name of the ServiceAccount "
                                         "to use to run this pod."),
        "serviceAccount": ("string", "DeprecatedServiceAccount is a deprecated alias for "
                                     "ServiceAccountName."),
        "restartPolicy": ("string", "Restart policy for all containers within the pod. One of "
                                    "Always, OnFailure, Never."),
        "terminationGracePeriodSeconds": ("integer", "Optional duration in seconds the pod "
                                                     "needs to terminate gracefully."),
        "dnsPolicy": ("string", "Set DNS policy for the pod."),
        "schedulerName": ("string", "If specified, the pod will be dispatched by specified "
                                    "scheduler."),
        "securityContext": ("object", "SecurityContext holds pod-level security attributes and "
                                      "common container settings."),
        "tolerations": ("[]object", "If specified, the pod's tolerations."),
        "affinity": ("object", "If specified, the pod's scheduling constraints"),
        "priority": ("integer", "The priority value."),
        "priorityClassName": ("string", "If specified, indicates the pod's priority."),
        "hostNetwork": ("boolean", "Host networking requested for this pod."),
        "imagePullSecrets": ("[]object", "ImagePullSecrets is an optional list of references "
                                         "to secrets in the same namespace to use for pulling "
                                         "any of the images used by this PodSpec.",
                             {"x-kubernetes-patch-merge-key": "name",
                              "x-kubernetes-patch-strategy": "merge"}),
        "enableServiceLinks": ("boolean", "EnableServiceLinks indicates whether information "
                                          "about services should be injected into pod's "
                                          "environment variables."),
        "preemptionPolicy": ("string", "PreemptionPolicy is the Policy for preempting pods "
                                       "with lower priority."),
        "hostname": ("string", "Specifies the hostname of the Pod."),
        "subdomain": ("string", "If specified, the fully qualified Pod hostname will be "
                                "\"<hostname>.<subdomain>.<pod namespace>.svc.<cluster "
                                "domain>\"."),
        "readinessGates": ("[]object", "If specified, all readiness gates will be evaluated for "
                                       "pod readiness."),
    }, ["containers"]),
    CORE + "Container": ("A single application container that you want to run within a pod.", {
        "name": ("string", "Name of the container specified as a DNS_LABEL. Each container in a "
                           "pod must have a unique name (DNS_LABEL). Cannot be updated."),
        "image": ("string", "Container image name. More info: https://kubernetes.io/docs/"
                            "concepts/containers/images"),
        "command": ("[]string", "Entrypoint array. Not executed within a shell."),
        "args": ("[]string", "Arguments to the entrypoint."),
        "workingDir": ("string", "Container's working directory."),
        "ports": ("[]@" + CORE + "ContainerPort", "List of ports to expose from the container.",
                  {"x-kubernetes-patch-merge-key": "containerPort",
                   "x-kubernetes-patch-strategy": "merge",
                   "x-kubernetes-list-type": "map",
                   "x-kubernetes-list-map-keys": ["containerPort", "protocol"]}),
        "env": ("[]@" + CORE + "EnvVar", "List of environment variables to set in the "
                                          "container. Cannot be updated.",
                {"x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge",
                 "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}),
        "envFrom": ("[]object", "List of sources to populate environment variables in the "
                                "container."),
        "resources": ("@" + CORE + "ResourceRequirements", "Compute Resources required by this "
                                                           "container. Cannot be updated."),
        "volumeMounts": ("[]@" + CORE + "VolumeMount", "Pod volumes to mount into the "
                                                        "container's filesystem.",
                         {"x-kubernetes-patch-merge-key": "mountPath",
                          "x-kubernetes-patch-strategy": "merge",
                          "x-kubernetes-list-type": "map",
                          "x-kubernetes-list-map-keys": ["mountPath"]}),
        "livenessProbe": ("object", "Periodic probe of container liveness."),
        "readinessProbe": ("object", "Periodic probe of container service readiness."),
        "startupProbe": ("object", "StartupProbe indicates that the Pod has successfully "
                                   "initialized."),
        "lifecycle": ("object", "Actions that the management system should take in response "
                                "to container lifecycle events."),
        "terminationMessagePath": ("string", "Path at which the file to which the container's "
                                             "termination message will be written is mounted "
                                             "into the container's filesystem."),
        "terminationMessagePolicy": ("string", "Indicate how the termination message should be "
                                               "populated."),
        "imagePullPolicy": ("string", "Image pull policy. One of Always, Never, IfNotPresent."),
        "securityContext": ("object", "SecurityContext defines the security options the "
                                      "container should be run with."),
        "restartPolicy": ("string", "RestartPolicy defines the restart behavior of individual "
                                    "containers in a pod."),
        "stdin": ("boolean", "Whether this container should allocate a buffer for stdin in the "
                             "container runtime."),
        "tty": ("boolean", "Whether this container should allocate a TTY for itself."),
    }, ["name"]),
    CORE + "ContainerPort": ("ContainerPort represents a network port in a single container.", {
        "containerPort": ("integer", "Number of port to expose on the pod's IP address."),
        "name": ("string", "If specified, this must be an IANA_SVC_NAME and unique within the "
                           "pod."),
        "protocol": ("string", "Protocol for port. Must be UDP, TCP, or SCTP. Defaults to "
                               "\"TCP\"."),
        "hostPort": ("integer", "Number of port to expose on the host."),
        "hostIP": ("string", "What host IP to bind the external port to."),
    }, ["containerPort"]),
    CORE + "EnvVar": ("EnvVar represents an environment variable present in a Container.", {
        "name": ("string", "Name of the environment variable. Must be a C_IDENTIFIER."),
        "value": ("string", "Variable references $(VAR_NAME) are expanded using the previously "
                            "defined environment variables in the container."),
        "valueFrom": ("object", "Source for the environment variable's value. Cannot be used "
                                "if value is not empty."),
    }, ["name"]),
    CORE + "ResourceRequirements": ("ResourceRequirements describes the compute resource "
                                    "requirements.", {
        "limits": ("map", "Limits describes the maximum amount of compute resources allowed."),
        "requests": ("map", "Requests describes the minimum amount of compute resources "
                            "required."),
    }, []),
    CORE + "VolumeMount": ("VolumeMount describes a mounting of a Volume within a container.", {
        "name": ("string", "This must match the Name of a Volume."),
        "mountPath": ("string", "Path within the container at which the volume should be "
                                "mounted. Must not contain ':'."),
        "readOnly": ("boolean", "Mounted read-only if true, read-write otherwise (false or "
                                "unspecified). Defaults to false."),
        "subPath": ("string", "Path within the volume from which the container's volume should "
                              "be mounted."),
    }, ["name", "mountPath"]),
    CORE + "Volume": ("Volume represents a named volume in a pod that may be accessed by any "
                      "container in the pod.", {
        "name": ("string", "name of the volume. Must be a DNS_LABEL and unique within the pod."),
        "configMap": ("object", "configMap represents a configMap that should populate this "
                                "volume"),
        "secret": ("object", "secret represents a secret that should populate this volume."),
        "emptyDir": ("object", "emptyDir represents a temporary directory that shares a pod's "
                               "lifetime."),
        "persistentVolumeClaim": ("object", "persistentVolumeClaimVolumeSource represents a "
                                            "reference to a PersistentVolumeClaim in the same "
                                            "namespace."),
        "projected": ("object", "projected items for all in one resources secrets, configmaps, "
                                "and downward API"),
        "hostPath": ("object", "hostPath represents a pre-existing file or directory on the "
                               "host machine that is directly exposed to the container."),
    }, ["name"]),
    CORE + "PodStatus": ("PodStatus represents information about the status of a pod.", {
        "phase": ("string", "The phase of a Pod is a simple, high-level summary of where the "
                            "Pod is in its lifecycle. One of Pending, Running, Succeeded, "
                            "Failed, Unknown."),
        "conditions": ("[]object", "Current service state of pod.",
                       {"x-kubernetes-patch-merge-key": "type",
                        "x-kubernetes-patch-strategy": "merge"}),
        "hostIP": ("string", "hostIP holds the IP address of the host to which the pod is "
                             "assigned."),
        "podIP": ("string", "podIP address allocated to the pod."),
        "podIPs": ("[]object", "podIPs holds the IP addresses allocated to the pod."),
        "startTime": ("time", "RFC 3339 date and time at which the object was acknowledged by "
                              "the Kubelet."),
        "containerStatuses": ("[]@" + CORE + "ContainerStatus", "The list has one entry per "
                                                                 "container in the manifest."),
        "initContainerStatuses": ("[]@" + CORE + "ContainerStatus", "The list has one entry "
                                                                     "per init container in "
                                                                     "the manifest."),
        "qosClass": ("string", "The Quality of Service (QOS) classification assigned to the "
                               "pod based on resource requirements."),
        "reason": ("string", "A brief CamelCase message indicating details about why the pod "
                             "is in this state."),
        "message": ("string", "A human readable message indicating details about why the pod "
                              "is in this condition."),
        "nominatedNodeName": ("string", "nominatedNodeName is set only when this pod preempts "
                                        "other pods on the node."),
    }, []),
    CORE + "ContainerStatus": ("ContainerStatus contains details for the current status of "
                               "this container.", {
        "name": ("string", "Name is a DNS_LABEL representing the unique name of the container."),
        "state": ("object", "State holds details about the container's current condition."),
        "lastState": ("object", "LastTerminationState holds the last termination state of the "
                                "container to help debug container crashes and restarts."),
        "ready": ("boolean", "Ready specifies whether the container is currently passing its "
                             "readiness check."),
        "restartCount": ("integer", "RestartCount holds the number of times the container has "
                                    "been restarted."),
        "image": ("string", "Image is the name of container image that the container is "
                            "running."),
        "imageID": ("string", "ImageID is the image ID of the container's image."),
        "containerID": ("string", "ContainerID is the ID of the container in the format "
                                  "'<type>://<container_id>'."),
        "started": ("boolean", "Started indicates whether the container has finished its "
                               "postStart lifecycle hook and passed its startup probe."),
    }, ["name", "ready", "restartCount", "image", "imageID"]),
    CORE + "PodTemplateSpec": ("PodTemplateSpec describes the data a pod should have when "
                               "created from a template", {
        "metadata": ("@" + META + "ObjectMeta", METADATA),
        "spec": ("@" + CORE + "PodSpec", "Specification of the desired behavior of the pod."),
    }, []),
    APPS + "Deployment": ("Deployment enables declarative updates for Pods and ReplicaSets.", {
        "apiVersion": ("string", APIVERSION), "kind": ("string", KIND),
        "metadata": ("@" + META + "ObjectMeta", METADATA),
        "spec": ("@" + APPS + "DeploymentSpec", "Specification of the desired behavior of the "
                                                "Deployment."),
        "status": ("@" + APPS + "DeploymentStatus", "Most recently observed status of the "
                                                    "Deployment."),
    }, []),
    APPS + "DeploymentSpec": ("DeploymentSpec is the specification of the desired behavior of "
                              "the Deployment.", {
        "replicas": ("integer", "Number of desired pods. This is a pointer to distinguish "
                                "between explicit zero and not specified. Defaults to 1."),
        "selector": ("@" + META + "LabelSelector", "Label selector for pods. Existing "
                                                   "ReplicaSets whose pods are selected by this "
                                                   "will be the ones affected by this "
                                                   "deployment. It must match the pod "
                                                   "template's labels."),
        "template": ("@" + CORE + "PodTemplateSpec", "Template describes the pods that will be "
                                                     "created. The only allowed "
                                                     "template.spec.restartPolicy value is "
                                                     "\"Always\"."),
        "strategy": ("object", "The deployment strategy to use to replace existing pods with "
                               "new ones."),
        "minReadySeconds": ("integer", "Minimum number of seconds for which a newly created pod "
                                       "should be ready without any of its container crashing, "
                                       "for it to be considered available."),
        "revisionHistoryLimit": ("integer", "The number of old ReplicaSets to retain to allow "
                                            "rollback. Defaults to 10."),
        "paused": ("boolean", "Indicates that the deployment is paused."),
        "progressDeadlineSeconds": ("integer", "The maximum time in seconds for a deployment to "
                                               "make progress before it is considered to be "
                                               "failed. Defaults to 600s."),
    }, ["selector", "template"]),
    APPS + "DeploymentStatus": ("DeploymentStatus is the most recently observed status of the "
                                "Deployment.", {
        "observedGeneration": ("integer", "The generation observed by the deployment "
                                          "controller."),
        "replicas": ("integer", "Total number of non-terminated pods targeted by this "
                                "deployment (their labels match the selector)."),
        "updatedReplicas": ("integer", "Total number of non-terminated pods targeted by this "
                                       "deployment that have the desired template spec."),
        "readyReplicas": ("integer", "readyReplicas is the number of pods targeted by this "
                                     "Deployment with a Ready Condition."),
        "availableReplicas": ("integer", "Total number of available pods (ready for at least "
                                         "minReadySeconds) targeted by this deployment."),
        "unavailableReplicas": ("integer", "Total number of unavailable pods targeted by this "
                                           "deployment."),
        "conditions": ("[]object", "Represents the latest available observations of a "
                                   "deployment's current state.",
                       {"x-kubernetes-patch-merge-key": "type",
                        "x-kubernetes-patch-strategy": "merge"}),
    }, []),
    CORE + "Service": ("Service is a named abstraction of software service (for example, "
                       "mysql) consisting of local port (for example 3306) that the proxy "
                       "listens on, and the selector that determines which pods will answer "
                       "requests sent through the proxy.", {
        "apiVersion": ("string", APIVERSION), "kind": ("string", KIND),
        "metadata": ("@" + META + "ObjectMeta", METADATA),
        "spec": ("@" + CORE + "ServiceSpec", "Spec defines the behavior of a service."),
        "status": ("object", "Most recently observed status of the service."),
    }, []),
    CORE + "ServiceSpec": ("ServiceSpec describes the attributes that a user creates on a "
                           "service.", {
        "ports": ("[]@" + CORE + "ServicePort", "The list of ports that are exposed by this "
                                                 "service.",
                  {"x-kubernetes-patch-merge-key": "port", "x-kubernetes-patch-strategy": "merge",
                   "x-kubernetes-list-type": "map",
                   "x-kubernetes-list-map-keys": ["port", "protocol"]}),
        "selector": ("map", "Route service traffic to pods with label keys and values matching "
                            "this selector."),
        "clusterIP": ("string", "clusterIP is the IP address of the service and is usually "
                                "assigned randomly."),
        "clusterIPs": ("[]string", "ClusterIPs is a list of IP addresses assigned to this "
                                   "service."),
        "type": ("string", "type determines how the Service is exposed. Defaults to ClusterIP. "
                           "Valid options are ExternalName, ClusterIP, NodePort, and "
                           "LoadBalancer."),
        "externalIPs": ("[]string", "externalIPs is a list of IP addresses for which nodes in "
                                    "the cluster will also accept traffic for this service."),
        "sessionAffinity": ("string", "Supports \"ClientIP\" and \"None\"."),
        "externalTrafficPolicy": ("string", "externalTrafficPolicy describes how nodes "
                                            "distribute service traffic they receive on one of "
                                            "the Service's \"externally-facing\" addresses."),
        "internalTrafficPolicy": ("string", "InternalTrafficPolicy describes how nodes "
                                            "distribute service traffic they receive on the "
                                            "ClusterIP."),
        "ipFamilies": ("[]string", "IPFamilies is a list of IP families assigned to this "
                                   "service."),
        "ipFamilyPolicy": ("string", "IPFamilyPolicy represents the dual-stack-ness requested "
                                     "or required by this Service."),
    }, []),
    CORE + "ServicePort": ("ServicePort contains information on service's port.", {
        "name": ("string", "The name of this port within the service."),
        "protocol": ("string", "The IP protocol for this port. Supports \"TCP\", \"UDP\", and "
                               "\"SCTP\". Default is TCP."),
        "port": ("integer", "The port that will be exposed by this service."),
        "targetPort": ("intorstring", "Number or name of the port to access on the pods "
                                      "targeted by the service."),
        "nodePort": ("integer", "The port on each node on which this service is exposed when "
                                "type is NodePort or LoadBalancer."),
    }, ["port"]),
}

_INTRO = {
    "Namespace": "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
    "Node": "Node is a worker node in Kubernetes. Each node will have a unique identifier in "
            "the cache (i.e. in etcd).",
    "ConfigMap": "ConfigMap holds configuration data for pods to consume.",
    "Secret": "Secret holds secret data of a certain type. The total bytes of the values in the "
              "Data field must be less than MaxSecretSize bytes.",
    "Event": "Event is a report of an event somewhere in the cluster.",
    "ServiceAccount": "ServiceAccount binds together: * a name, understood by users, and "
                      "perhaps by peripheral systems, for an identity * a principal that can be "
                      "authenticated and authorized * a set of secrets",
    "Endpoints": "Endpoints is a collection of endpoints that implement the actual service.",
    "PersistentVolumeClaim": "PersistentVolumeClaim is a user's request for and claim to a "
                             "persistent volume",
    "PersistentVolume": "PersistentVolume (PV) is a storage resource provisioned by an "
                        "administrator.",
    "ReplicaSet": "ReplicaSet ensures that a specified number of pod replicas are running at "
                  "any given time.",
    "StatefulSet": "StatefulSet represents a set of pods with consistent identities.",
    "DaemonSet": "DaemonSet represents the configuration of a daemon set.",
    "Job": "Job represents the configuration of a single job.",
    "CronJob": "CronJob represents the configuration of a single cron job.",
    "Ingress": "Ingress is a collection of rules that allow inbound connections to reach the "
               "endpoints defined by a backend.",
    "HorizontalPodAutoscaler": "HorizontalPodAutoscaler is the configuration for a horizontal "
                               "pod autoscaler, which automatically manages the replica count "
                               "of any resource implementing the scale subresource based on "
                               "the metrics specified.",
    "PodDisruptionBudget": "PodDisruptionBudget is an object to define the max disruption that "
                           "can be caused to a collection of pods",
    "Role": "Role is a namespaced, logical grouping of PolicyRules that can be referenced as a "
            "unit by a RoleBinding.",
    "RoleBinding": "RoleBinding references a role, but does not contain it.",
    "ClusterRole": "ClusterRole is a cluster level, logical grouping of PolicyRules that can be "
                   "referenced as a unit by a RoleBinding or ClusterRoleBinding.",
    "ClusterRoleBinding": "ClusterRoleBinding references a ClusterRole, but not contain it.",
    "CustomResourceDefinition": "CustomResourceDefinition represents a resource that should be "
                                "exposed on the API server.",
}

_GROUP_PREFIX = {"": "io.k8s.api.core.v1.", "apps": "io.k8s.api.apps.v1.",
                 "batch": "io.k8s.api.batch.v1.", "autoscaling": "io.k8s.api.autoscaling.v2.",
                 "networking.k8s.io": "io.k8s.api.networking.v1.",
                 "policy": "io.k8s.api.policy.v1.",
                 "rbac.authorization.k8s.io": "io.k8s.api.rbac.v1.",
                 "apiextensions.k8s.io":
                     "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.",
                 "authorization.k8s.io": "io.k8s.api.authorization.v1.",
                 "authentication.k8s.io": "io.k8s.api.authentication.v1.",
                 "metrics.k8s.io": "io.k8s.metrics.pkg.apis.metrics.v1beta1.",
                 "example.com": "com.example.v1."}


def schema_name(res):
    return _GROUP_PREFIX[res.group] + res.kind


def _ref(name):
    return {"$ref": "#/components/schemas/" + name}


def _field(typ, desc, ext=None):
    if typ.startswith("[]"):
        inner = typ[2:]
        items = {"allOf": [_ref(inner[1:])], "default": {}} if inner.startswith("@") else \
            {k: v for k, v in _field(inner, "").items() if k != "description"}
        s = {"type": "array", "items": items, "description": desc}
    elif typ.startswith("@"):
        s = {"allOf": [_ref(typ[1:])], "description": desc, "default": {}}
    elif typ == "map":
        s = {"type": "object", "additionalProperties": {"type": "string", "default": ""},
             "description": desc}
    elif typ == "object":
        s = {"type": "object", "description": desc, "x-kubernetes-preserve-unknown-fields": True}
    elif typ == "time":
        s = {"allOf": [_ref(META + "Time")], "description": desc}
    elif typ == "intorstring":
        s = {"allOf": [_ref("io.k8s.apimachinery.pkg.util.intstr.IntOrString")],
             "description": desc}
    elif typ == "integer":
        s = {"type": "integer", "format": "int32", "description": desc}
    else:
        s = {"type": typ, "description": desc}
    if ext:
        s.update(ext)
    if not desc:
        s.pop("description", None)
    return s


def _build(name, desc, fields, required, gvk=None):
    s = {"description": desc, "type": "object",
         "properties": {k: _field(*v) for k, v in fields.items()}}
    if required:
        s["required"] = list(required)
    if gvk:
        s["x-kubernetes-group-version-kind"] = [gvk]
    return s


def _generic(res):
    desc = _INTRO.get(res.kind, "%s is a simulated %s resource." % (res.kind, res.group_version))
    fields = {"apiVersion": ("string", APIVERSION), "kind": ("string", KIND),
              "metadata": ("@" + META + "ObjectMeta", METADATA)}
    if res.kind in ("ConfigMap", "Secret"):
        fields["data"] = ("map", "Data contains the data. Each key must consist of alphanumeric "
                                 "characters, '-', '_' or '.'.")
        fields["immutable"] = ("boolean", "Immutable, if set to true, ensures that data stored "
                                          "cannot be updated.")
        if res.kind == "Secret":
            fields["stringData"] = ("map", "stringData allows specifying non-binary secret data "
                                           "in string form.")
            fields["type"] = ("string", "Used to facilitate programmatic handling of secret "
                                        "data.")
        else:
            fields["binaryData"] = ("map", "BinaryData contains the binary data.")
    elif res.kind == "Event":
        for k in ("reason", "message", "type", "reportingComponent", "reportingInstance",
                  "action"):
            fields[k] = ("string", "The %s of this event." % k)
        fields["count"] = ("integer", "The number of times this event has occurred.")
        for k in ("firstTimestamp", "lastTimestamp"):
            fields[k] = ("time", "The time at which the event was %s recorded." % (
                "first" if k.startswith("first") else "most recently"))
        fields["involvedObject"] = ("object", "The object that this event is about.")
        fields["source"] = ("object", "The component reporting this event.")
        fields["series"] = ("object", "Data about the Event series this event represents.")
    elif res.kind in ("Role", "ClusterRole"):
        fields["rules"] = ("[]object", "Rules holds all the PolicyRules for this Role")
    elif res.kind in ("RoleBinding", "ClusterRoleBinding"):
        fields["roleRef"] = ("object", "RoleRef can reference a Role in the current namespace "
                                       "or a ClusterRole in the global namespace.")
        fields["subjects"] = ("[]object", "Subjects holds references to the objects the role "
                                          "applies to.")
    elif res.kind == "ServiceAccount":
        fields["secrets"] = ("[]object", "Secrets is a list of the secrets in the same "
                                         "namespace that pods running using this "
                                         "ServiceAccount are allowed to use.")
    elif res.kind in ("NodeMetrics", "PodMetrics"):
        fields["timestamp"] = ("time", "The following fields define time interval from which "
                                       "metrics were collected.")
        fields["window"] = ("string", "The window of the metrics.")
        fields["usage" if res.kind == "NodeMetrics" else "containers"] = (
            "map" if res.kind == "NodeMetrics" else "[]object", "The memory and CPU usage.")
    else:
        fields["spec"] = ("object", SPEC)
        fields["status"] = ("object", STATUS)
    return desc, fields


def _widget_schema():
    import seed
    crd = seed.crd_object(0)
    s = dict(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
    s["properties"] = dict(s["properties"])
    s["properties"]["metadata"] = _field("@" + META + "ObjectMeta", METADATA)
    return s


_PARAMS = {
    "dryRun": "When present, indicates that modifications should not be persisted.",
    "fieldManager": "fieldManager is a name associated with the actor or entity that is making "
                    "these changes.",
    "fieldValidation": "fieldValidation instructs the server on how to handle objects in the "
                       "request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid "
                       "values are: - Ignore - Warn - Strict",
    "force": "Force is going to \"force\" Apply requests.",
}


def _param(name, schema_type="string", where="query"):
    p = {"name": name, "in": where, "description": _PARAMS.get(name, name),
         "schema": {"type": schema_type, "uniqueItems": True}}
    if where == "path":
        p["required"] = True
    return p


def _json_content(schema_ref):
    return {"application/json": {"schema": _ref(schema_ref)},
            "application/yaml": {"schema": _ref(schema_ref)}}


def gv_document(group, version):
    """The OpenAPI v3 document for one group/version, or None."""
    res_list = [r for r in resources.in_group_version(group, version)]
    if not res_list:
        return None
    schemas = {}
    for name, (desc, fields, req) in TYPES.items():
        schemas[name] = _build(name, desc, fields, req)
    schemas[META + "Time"] = {"description": "Time is a wrapper around time.Time which supports "
                                             "correct marshaling to YAML and JSON.",
                              "type": "string", "format": "date-time"}
    schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {
        "description": "IntOrString is a type that can hold an int32 or a string.",
        "type": "string", "format": "int-or-string"}
    schemas[META + "Status"] = {"description": "Status is a return value for calls that don't "
                                               "return other objects.", "type": "object"}
    paths = {}
    base = "/api/v1" if group == "" else "/apis/%s/%s" % (group, version)
    for r in res_list:
        name = schema_name(r)
        gvk = {"group": r.group, "version": r.version, "kind": r.kind}
        if name in schemas and name in TYPES:
            schemas[name]["x-kubernetes-group-version-kind"] = [gvk]
        elif r.kind == "Widget":
            schemas[name] = dict(_widget_schema(), **{"x-kubernetes-group-version-kind": [gvk]})
        else:
            desc, fields = _generic(r)
            schemas[name] = _build(name, desc, fields, [], gvk)
        list_name = name + "List"
        schemas[list_name] = _build(list_name, "%sList is a list of %s." % (r.kind, r.kind), {
            "apiVersion": ("string", APIVERSION), "kind": ("string", KIND),
            "metadata": ("object", "Standard list metadata."),
            "items": ("[]@" + name, "List of %s." % r.plural)}, ["items"],
            dict(gvk, kind=r.list_kind))
        coll = "%s/namespaces/{namespace}/%s" % (base, r.plural) if r.namespaced else \
            "%s/%s" % (base, r.plural)
        item = coll + "/{name}"
        ext = {"x-kubernetes-group-version-kind": gvk}
        pparams = [_param("name", where="path")]
        if r.namespaced:
            pparams.append(_param("namespace", where="path"))
        ok = {"200": {"description": "OK", "content": _json_content(name)}}
        if not r.storage:
            paths[coll] = {"post": dict(ext, **{
                "description": "create a " + r.kind, "operationId": "create" + r.kind,
                "x-kubernetes-action": "post",
                "requestBody": {"content": {"*/*": {"schema": _ref(name)}}, "required": True},
                "responses": {"201": {"description": "Created",
                                      "content": _json_content(name)}}})}
            continue
        paths[coll] = {
            "get": dict(ext, **{"description": "list or watch objects of kind " + r.kind,
                                "operationId": "list" + r.kind, "x-kubernetes-action": "list",
                                "responses": {"200": {"description": "OK", "content":
                                                      _json_content(list_name)}},
                                "x-kubernetes-group-version-kind": dict(gvk)}),
            "post": dict(ext, **{"description": "create a " + r.kind,
                                 "operationId": "create" + r.kind, "x-kubernetes-action": "post",
                                 "parameters": [_param("dryRun"), _param("fieldManager"),
                                                _param("fieldValidation")],
                                 "requestBody": {"content": {"*/*": {"schema": _ref(name)}},
                                                 "required": True},
                                 "responses": {"201": {"description": "Created",
                                                       "content": _json_content(name)}}}),
        }
        if r.namespaced:
            paths[coll]["parameters"] = [_param("namespace", where="path")]
        paths[item] = {
            "get": dict(ext, **{"description": "read the specified " + r.kind,
                                "operationId": "read" + r.kind, "x-kubernetes-action": "get",
                                "responses": ok}),
            "put": dict(ext, **{"description": "replace the specified " + r.kind,
                                "operationId": "replace" + r.kind, "x-kubernetes-action": "put",
                                "parameters": [_param("dryRun"), _param("fieldManager"),
                                               _param("fieldValidation")],
                                "requestBody": {"content": {"*/*": {"schema": _ref(name)}},
                                                "required": True},
                                "responses": ok}),
            "patch": dict(ext, **{
                "description": "partially update the specified " + r.kind,
                "operationId": "patch" + r.kind, "x-kubernetes-action": "patch",
                "parameters": [_param("dryRun"), _param("fieldManager"),
                               _param("fieldValidation"), _param("force", "boolean")],
                "requestBody": {"content": {
                    "application/apply-patch+yaml": {"schema": _ref(META + "Patch")},
                    "application/json-patch+json": {"schema": _ref(META + "Patch")},
                    "application/merge-patch+json": {"schema": _ref(META + "Patch")}},
                    "required": True},
                "responses": ok}),
            "delete": dict(ext, **{"description": "delete a " + r.kind,
                                   "operationId": "delete" + r.kind,
                                   "x-kubernetes-action": "delete",
                                   "parameters": [_param("dryRun"),
                                                  _param("gracePeriodSeconds", "integer"),
                                                  _param("propagationPolicy")],
                                   "responses": {"200": {"description": "OK", "content":
                                                         _json_content(META + "Status")}}}),
            "parameters": pparams,
        }
    schemas[META + "Patch"] = {"description": "Patch is provided to give a concrete name and "
                                              "type to the Kubernetes PATCH request body.",
                               "type": "object"}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.1"},
            "paths": paths, "components": {"schemas": schemas}}


def _prefix(group, version):
    return "api/v1" if group == "" else "apis/%s/%s" % (group, version)


class OpenAPI:
    """Serialized documents, built once (they do not change while the server runs)."""

    def __init__(self):
        self.docs = {}
        for g, versions in resources.group_versions():
            for v in versions:
                doc = gv_document(g, v)
                if doc is not None:
                    body = json.dumps(doc, separators=(",", ":")).encode()
                    h = hashlib.sha512(body).hexdigest()[:128].upper()
                    self.docs[_prefix(g, v)] = (body, h)

    def index(self):
        return {"paths": {p: {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (p, h)}
                          for p, (_, h) in sorted(self.docs.items())}}

    def get(self, prefix):
        return self.docs.get(prefix)
