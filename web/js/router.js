// Client-side navigation with the History API. Routes are path patterns whose ":name"
// segments become params; the server answers index.html for every such path, so a
// reload or a shared link lands on the same view. Same-origin links are followed
// without a reload.
let onChange = () => {};

export function matchRoute(routes, path) {
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params = {};
    const isMatch = pattern.every((p, i) => {
      if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(parts[i]);
      return p.startsWith(':') || p === parts[i];
    });
    if (isMatch) return { route, params };
  }
  return null;
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else if (path !== location.pathname + location.search) history.pushState(null, '', path);
  onChange();
}

function followLink(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
    return;
  const link = event.target.closest('a[href]');
  if (!link || link.target || link.hasAttribute('download') || link.origin !== location.origin) return;
  if (link.getAttribute('href').startsWith('#')) return;
  event.preventDefault();
  navigate(link.pathname + link.search);
}

// Calls render now and after every navigation (links, back and forward, navigate()).
export function startRouter(render) {
  onChange = render;
  window.addEventListener('popstate', render);
  document.addEventListener('click', followLink);
  render();
}
