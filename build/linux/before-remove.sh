#!/bin/bash
# The deb's before-remove script (electron-builder.yml, deb.fpm --before-remove): the headless
# service stops before its files go; on removal (not upgrade) it is disabled too.
if [ -d /run/systemd/system ]; then
  systemctl stop hearth.service 2>/dev/null || true
  if [ "$1" = "remove" ]; then
    systemctl disable hearth.service 2>/dev/null || true
  fi
fi
exit 0
