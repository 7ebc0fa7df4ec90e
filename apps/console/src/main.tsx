import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BulwarkAdmin } from '@bulwark/platform-console';
import { consolePlugins } from './plugins';

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <BulwarkAdmin plugins={consolePlugins} />
  </StrictMode>,
);
