import { Module } from '@nestjs/common';
import { IdentityModule } from '@latchkey/identity';
import { AuthModule } from '../auth/auth.module';
import { AdminGuard } from './admin.guard';
import { AdminAuditController } from './admin-audit.controller';
import { AdminUsersController } from './admin-users.controller';
import { AdminSsoController } from './admin-sso.controller';

@Module({
  imports: [AuthModule, IdentityModule],
  controllers: [AdminUsersController, AdminAuditController, AdminSsoController],
  providers: [AdminGuard],
})
export class AdminModule {}
