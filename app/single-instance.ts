// One Hearth per user: a second launch hands over to the first and exits. The first one opens
// its window, so launching the app again is always a way in, also where there is no tray
// (GNOME has none by default).
import { app } from 'electron';

/** False when another Hearth is already running: this one quits. */
export function setupSingleInstance(onSecondLaunch: () => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', () => onSecondLaunch());
  return true;
}
