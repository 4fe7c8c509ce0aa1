// Prisma CLI configuration (Prisma 7 keeps the connection URL out of schema.prisma).
// Only `prisma generate` is used by this project; migrations are applied by `npm run migrate`.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
