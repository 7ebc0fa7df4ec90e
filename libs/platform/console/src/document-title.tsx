import { useEffect } from 'react';

/** What a page is called, from what it shows; the tab and the browser's history read it. */
export function pageName(doc: Document): string | undefined {
  // A page that names itself (sign-in, whose heading is the product's name), else react-admin's
  // app bar title (every <Title>), else the page's first heading (pages without the layout).
  const named = doc.querySelector('[data-page-title]')?.getAttribute('data-page-title');
  const text = (el: Element | null) => el?.textContent?.replace(/\s+/g, ' ').trim() || undefined;
  return named || text(doc.getElementById('react-admin-title')) || text(doc.querySelector('h1, h2, h3, h4, h5, h6'));
}

/**
 * Keeps `document.title` as "Tickets · Bulwark" on every page, resources and plugin pages alike,
 * without each page setting it: the title follows the page's own heading as it renders. An
 * element with `data-title-suffix` names whose page it is instead of Bulwark (the portal names
 * the workspace).
 */
export function DocumentTitle() {
  useEffect(() => {
    let frame = 0;
    const update = () => {
      frame = 0;
      const name = pageName(document);
      // Who the page belongs to: Bulwark, or the workspace in the requester's portal.
      const owner = document.querySelector('[data-title-suffix]')?.getAttribute('data-title-suffix') || 'Bulwark';
      const title = name && name !== owner && name !== 'Bulwark' ? `${name} · ${owner}` : owner;
      if (document.title !== title) document.title = title;
    };
    // Batched to one look per frame: the page changes many nodes at once.
    const observer = new MutationObserver(() => {
      frame ||= requestAnimationFrame(update);
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-page-title', 'data-title-suffix'] });
    update();
    return () => {
      observer.disconnect();
      cancelAnimationFrame(frame);
    };
  }, []);
  return null;
}
