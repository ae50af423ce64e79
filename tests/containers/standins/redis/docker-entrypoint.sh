#!/bin/sh
# As the official image: without a config file, listen on every interface of the container.
set -e
if [ "$1" = redis-server ]; then
  case "$2" in
    *.conf) ;;
    *) shift; set -- redis-server --protected-mode no "$@" ;;
  esac
fi
exec "$@"
