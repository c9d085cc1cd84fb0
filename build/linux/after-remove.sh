#!/bin/bash
# The deb's after-remove script (electron-builder.yml, deb.afterRemove), replacing
# electron-builder's default: unload and delete the AppArmor profile. The family's data in
# /var/lib/hearth and the "hearth" user stay: removing a package must never delete messages.

profile='/etc/apparmor.d/${executable}'
if [ -f "$profile" ]; then
  if apparmor_status --enabled > /dev/null 2>&1; then
    if ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --remove "$profile" || true
    fi
  fi
  rm -f "$profile"
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
exit 0
