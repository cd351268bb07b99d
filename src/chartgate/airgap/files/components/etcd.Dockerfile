ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY etcd /usr/local/bin/etcd
RUN mkdir -p /var/lib/etcd
