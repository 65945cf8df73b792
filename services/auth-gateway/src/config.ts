import { Type, type Static } from '@sinclair/typebox';
import { BaseConfig } from '@ludic/service-kit';

export const AuthConfigSchema = Type.Object({ ...BaseConfig });
export type AuthConfig = Static<typeof AuthConfigSchema>;
