// Embedded in an iframe, the portal tells its parent how tall its content is, so the parent can size
// the frame: `{type: 'hookstream:portal-height', height}` on every change. Only a number leaves.
export function reportHeight(): void {
  if (window.parent === window) return;
  let last = -1;
  const send = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === 0 || height === last) return;
    last = height;
    window.parent.postMessage({ type: 'hookstream:portal-height', height }, '*');
  };
  new ResizeObserver(send).observe(document.documentElement);
  send();
}
