#!/bin/bash
# The deb's after-install script (electron-builder.yml, deb.afterInstall). It replaces
# electron-builder's default one, so it repeats its steps (sandbox helper, desktop database,
# AppArmor) and adds Hearth's: the system user of the headless service.
# electron-builder fills in the two dollar-brace macros below; the shell sees plain text.
# /usr/bin/hearth and hearth.service are files of the package (deb.fpm), not made here.

app_dir='/opt/${sanitizedProductName}'

# Chromium's sandbox: user namespaces where they work, else the SUID helper.
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; } 2>/dev/null; then
  chmod 4755 "$app_dir/chrome-sandbox" || true
else
  chmod 0755 "$app_dir/chrome-sandbox" || true
fi

if hash update-mime-database 2>/dev/null; then
  update-mime-database /usr/share/mime || true
fi
if hash update-desktop-database 2>/dev/null; then
  update-desktop-database /usr/share/applications || true
fi

# AppArmor profile (build/linux/apparmor/hearth, copied to resources/ by electron-builder):
# loaded only where AppArmor understands it (abi/4.0: Ubuntu 24.04 and later).
if apparmor_status --enabled > /dev/null 2>&1; then
  profile_source="$app_dir/resources/apparmor-profile"
  profile_target='/etc/apparmor.d/${executable}'
  if apparmor_parser --skip-kernel-load --debug "$profile_source" > /dev/null 2>&1; then
    cp -f "$profile_source" "$profile_target"
    if ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --replace --write-cache --skip-read-cache "$profile_target" || true
    fi
  else
    echo "Skipping Hearth's AppArmor profile: this AppArmor does not support it (only Ubuntu 24.04 and later need it)."
  fi
fi

# The headless service (hearth.service) runs as its own system user, never as root.
if ! getent passwd hearth > /dev/null; then
  useradd --system --user-group --home-dir /var/lib/hearth --no-create-home \
    --shell /usr/sbin/nologin --comment 'Hearth chat server' hearth || true
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
  # After an upgrade, a service the admin enabled runs the new version.
  if systemctl is-enabled --quiet hearth.service 2>/dev/null; then
    systemctl restart hearth.service || true
  fi
fi
exit 0
