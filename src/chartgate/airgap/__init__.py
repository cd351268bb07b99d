"""Air-gapped kind: a Docker engine, Kubernetes and tools from Go modules, component and
node images built on a debootstrapped Debian base — no container registry needed.

``chartgate airgap build`` runs :func:`chartgate.airgap.build.build_all`;
``chartgate cluster up/down`` is :mod:`chartgate.airgap.cluster`.
"""
