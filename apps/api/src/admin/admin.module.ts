import { Module } from '@nestjs/common';
import { IdentityModule } from '@latchkey/identity';
import { AuthModule } from '../auth/auth.module';
import { AdminGuard } from './admin.guard';
import { AdminAuditController } from './admin-audit.controller';
import { AdminUsersController } from './admin-users.controller';

@Module({
  imports: [AuthModule, IdentityModule],
  controllers: [AdminUsersController, AdminAuditController],
  providers: [AdminGuard],
})
export class AdminModule {}
