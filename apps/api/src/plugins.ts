/**
 * The server's plugin list lives in @bulwark/composition-api, the one list the API, the CLI, the
 * bench and the tests compose; this path only forwards to it, for code written against it.
 */
export { apiPlugins } from '@bulwark/composition-api';
