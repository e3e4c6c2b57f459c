"""Discovery: /version, /api, /apis, /apis/{g}/{v}, legacy and aggregated (apidiscovery v2).

kubectl 1.32 asks /api and /apis for `as=APIGroupDiscoveryList` first; serving it
means one round trip each instead of one per group version, as with a real
1.32 server. A client that asks for plain JSON gets the legacy documents.
"""

import base64
import hashlib

import resources

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.1-aliyun.1",
           "gitCommit": "5f2ba3c6f4a0b3f6bd1cc2f0a5f6c9b8e3d2a1f0", "gitTreeState": "clean",
           "buildDate": "2025-01-20T08:12:31Z", "goVersion": "go1.23.4", "compiler": "gc",
           "platform": "linux/amd64"}

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


def wants_aggregated(accept):
    """The aggregated media type the client prefers, or None (first acceptable wins)."""
    for part in (accept or "").split(","):
        p = part.strip().replace(" ", "")
        if "as=APIGroupDiscoveryList" in p and "g=apidiscovery.k8s.io" in p:
            if "v=v2beta1" in p:
                return AGGREGATED_V2BETA1
            if "v=v2" in p:
                return AGGREGATED_V2
        elif p.startswith("application/json") or p.startswith("*/*"):
            return None
    return None


def _hash(res):
    return base64.b64encode(hashlib.sha256(res.group_version.encode() + res.kind.encode())
                            .digest()[:8]).decode()


def api_versions(server_address):
    return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
        {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group_entry(group, versions):
    gvs = [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in versions]
    return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}


def api_group_list():
    groups = [_group_entry(g, vs) for g, vs in resources.group_versions() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group):
    for g, vs in resources.group_versions():
        if g == group and g:
            return dict(_group_entry(g, vs), kind="APIGroup", apiVersion="v1")
    return None


def resource_list(group, version):
    """APIResourceList for /api/v1 or /apis/{group}/{version}, or None."""
    rs = resources.in_group_version(group, version)
    if not rs:
        return None
    out = []
    for r in sorted(rs, key=lambda r: r.plural):
        e = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
             "kind": r.kind, "verbs": r.verbs}
        if r.short_names:
            e["shortNames"] = r.short_names
        if r.categories:
            e["categories"] = r.categories
        if r.storage:
            e["storageVersionHash"] = _hash(r)
        out.append(e)
        for sub in sorted(r.subresources):
            g, v, kind, verbs = r.subresources[sub]
            se = {"name": "%s/%s" % (r.plural, sub), "singularName": "",
                  "namespaced": r.namespaced, "kind": kind, "verbs": verbs}
            if (g, v) != (r.group, r.version):
                se["group"], se["version"] = g, v
            out.append(se)
    gv = version if group == "" else "%s/%s" % (group, version)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}


def _aggregated_resource(r):
    e = {"resource": r.plural,
         "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
         "scope": "Namespaced" if r.namespaced else "Cluster",
         "singularResource": r.singular, "verbs": r.verbs}
    if r.short_names:
        e["shortNames"] = r.short_names
    if r.categories:
        e["categories"] = r.categories
    subs = []
    for sub in sorted(r.subresources):
        g, v, kind, verbs = r.subresources[sub]
        subs.append({"subresource": sub, "responseKind": {"group": g, "version": v,
                                                           "kind": kind}, "verbs": verbs})
    if subs:
        e["subresources"] = subs
    return e


def aggregated(core, media_type):
    """APIGroupDiscoveryList for /api (core=True) or /apis."""
    api_version = media_type.split(";v=")[1].split(";")[0]
    items = []
    for g, versions in resources.group_versions():
        if (g == "") != core:
            continue
        vs = []
        for v in versions:
            rs = sorted(resources.in_group_version(g, v), key=lambda r: r.plural)
            vs.append({"version": v, "resources": [_aggregated_resource(r) for r in rs],
                       "freshness": "Current"})
        md = {"creationTimestamp": None}
        if g:
            md = {"name": g, "creationTimestamp": None}
        items.append({"metadata": md, "versions": vs})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/" + api_version,
            "metadata": {}, "items": items}
