/**
 * Leaving or reloading the page while videos are analysed would throw the
 * work away: the browser is asked to confirm first (its own "Leave site?"
 * dialog; browsers show it only after the user has interacted with the
 * page, and never with custom text).
 */
export function installUnloadGuard(target: Window, busy: () => boolean): () => void {
  const onBeforeUnload = (event: BeforeUnloadEvent) => {
    if (!busy()) return;
    event.preventDefault();
    // older browsers ask only when returnValue is set
    event.returnValue = '';
  };
  target.addEventListener('beforeunload', onBeforeUnload);
  return () => target.removeEventListener('beforeunload', onBeforeUnload);
}
