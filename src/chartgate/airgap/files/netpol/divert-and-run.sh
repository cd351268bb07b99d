#!/bin/bash
# Start kube-network-policies after making sure the kernel hands it packets to judge.
#
# kube-network-policies evaluates NetworkPolicies in user space: netfilter sends the first
# packet of each connection to an nfqueue, the controller answers accept or drop. It
# installs that diversion itself with the nftables `queue` statement, which needs the
# kernel's nft_queue expression (CONFIG_NFT_QUEUE). Kernels built without it refuse the
# rule ("No such file or directory"); the controller then runs, logs the failed sync and
# enforces nothing. Those kernels usually still have the xtables NFQUEUE target
# (CONFIG_NETFILTER_XT_TARGET_NFQUEUE, used by iptables-nft through nft_compat). So:
#   1. probe: can this kernel load an nftables rule with `queue`? (a hook-less chain in a
#      throwaway table: nothing is diverted by the probe)
#   2. if not, divert with iptables instead: the first packet (ctstate NEW) of every
#      forwarded connection from or to the pod subnet goes to the same queue. With
#      --queue-bypass such packets pass while no controller listens (fail-open: a
#      restarting controller does not cut the cluster's traffic; policies are enforced
#      while it runs, which the DaemonSet's readiness probe checks).
# Traffic the node itself originates (kubelet probes) is not forwarded and not diverted,
# as upstream exempts it too.
#
# Environment: POD_SUBNET (required), NFQUEUE_ID (default 100), KUBE_NETWORK_POLICIES (the
# binary; default /usr/local/bin/kube-network-policies). Arguments: passed to
# kube-network-policies. The mode chosen is printed first.
set -euo pipefail

: "${POD_SUBNET:?POD_SUBNET must name the cluster pod subnet (e.g. 10.244.0.0/16)}"
NFQUEUE_ID="${NFQUEUE_ID:-100}"
KUBE_NETWORK_POLICIES="${KUBE_NETWORK_POLICIES:-/usr/local/bin/kube-network-policies}"
CHAIN=CHARTGATE-NETPOL
PROBE_TABLE=chartgate-nfqueue-probe

nft_queue_supported() {
    nft delete table inet "$PROBE_TABLE" 2>/dev/null || true
    local ok=1
    if nft -f - <<NFT 2>/dev/null
table inet $PROBE_TABLE {
    chain probe {
        queue num $NFQUEUE_ID bypass
    }
}
NFT
    then
        ok=0
    fi
    nft delete table inet "$PROBE_TABLE" 2>/dev/null || true
    return "$ok"
}

divert_with_iptables() {
    iptables -t mangle -N "$CHAIN" 2>/dev/null || true
    iptables -t mangle -F "$CHAIN"
    for dir in -s -d; do
        iptables -t mangle -A "$CHAIN" -m conntrack --ctstate NEW "$dir" "$POD_SUBNET" \
            -m comment --comment "chartgate: NetworkPolicy verdicts by kube-network-policies" \
            -j NFQUEUE --queue-num "$NFQUEUE_ID" --queue-bypass
    done
    iptables -t mangle -C FORWARD -j "$CHAIN" 2>/dev/null || iptables -t mangle -I FORWARD 1 -j "$CHAIN"
}

if nft_queue_supported; then
    echo "divert-and-run: the kernel supports the nftables queue statement; kube-network-policies diverts packets itself"
    # a previous run on a kernel without it may have left the iptables diversion
    if iptables -t mangle -C FORWARD -j "$CHAIN" 2>/dev/null; then
        iptables -t mangle -D FORWARD -j "$CHAIN"
    fi
else
    divert_with_iptables
    echo "divert-and-run: no nftables queue statement in this kernel (CONFIG_NFT_QUEUE);" \
         "new connections from/to $POD_SUBNET go to nfqueue $NFQUEUE_ID through iptables NFQUEUE"
fi

exec "$KUBE_NETWORK_POLICIES" --nfqueue-id="$NFQUEUE_ID" "$@"
