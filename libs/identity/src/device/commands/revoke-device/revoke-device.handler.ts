import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { NotFoundError } from '../../../shared/errors';
import { Device } from '../../device.aggregate';
import { RevokeDeviceCommand } from './revoke-device.command';

/** The device needs a code again on its next login. Another user's device is "not found". */
@CommandHandler(RevokeDeviceCommand)
export class RevokeDeviceHandler implements ICommandHandler<RevokeDeviceCommand, void> {
  constructor(private readonly repository: AggregateRepository) {}

  async execute(command: RevokeDeviceCommand): Promise<void> {
    await this.repository.update(Device, command.deviceId, (device) => {
      if (!device.active || device.ownerId !== command.userId) throw new NotFoundError();
      device.revoke(command.by);
    });
  }
}
