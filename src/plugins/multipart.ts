import fp from 'fastify-plugin';
import multipart from '@fastify/multipart';

/**
 * Uploads (photos, documents, import files). Routes read files themselves with per-route limits;
 * these are the outer bounds. Files are streamed, never written to local disk.
 */
export default fp(
  async (app) => {
    await app.register(multipart, {
      limits: { fileSize: 100 * 1024 * 1024, files: 20, fields: 200, fieldSize: 1024 * 1024, parts: 300 },
      throwFileSizeLimit: true,
    });
  },
  { name: 'multipart' },
);
