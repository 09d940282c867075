import { defineConfig } from 'vitest/config';

// Unit tests of the model and API layer (no browser: the UI is tested in a real JupyterLab by
// tests/ui in the Python test suite).
export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts'],
    environment: 'node'
  }
});
