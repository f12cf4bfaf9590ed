// The few NestJS and TypeORM declarations this module uses, so that examples/ type-checks without installing NestJS
// and TypeORM (their real signatures, trimmed). Locksmith recognises them by name and shape, not by these types.
declare module "@nestjs/common" {
  export function Injectable(): ClassDecorator;
  export function Controller(prefix?: string): ClassDecorator;
  export function Post(path?: string): MethodDecorator;
  export function Param(name: string): ParameterDecorator;
  export function Body(name?: string): ParameterDecorator;
  export class NotFoundException extends Error {}
  export class ConflictException extends Error {}
}

declare module "@nestjs/typeorm" {
  export function InjectRepository(entity: Function): ParameterDecorator;
}

declare module "typeorm" {
  export function Entity(name?: string): ClassDecorator;
  export function Column(options?: object): PropertyDecorator;
  export function PrimaryGeneratedColumn(): PropertyDecorator;
  export type FindOptionsWhere<T> = { [K in keyof T]?: T[K] };
  export interface FindOneOptions<T> {
    where?: FindOptionsWhere<T>;
    lock?: { mode: "pessimistic_read" | "pessimistic_write" } | { mode: "optimistic"; version: number };
  }
  export class Repository<T> {
    findOneBy(where: FindOptionsWhere<T>): Promise<T | null>;
    findOne(options: FindOneOptions<T>): Promise<T | null>;
    save(entity: T): Promise<T>;
    increment(where: FindOptionsWhere<T>, column: string, value: number): Promise<unknown>;
  }
  export class EntityManager {
    findOne<T>(entity: new () => T, options: FindOneOptions<T>): Promise<T | null>;
    save<T>(entity: T): Promise<T>;
    withRepository<R extends Repository<any>>(repository: R): R;
  }
  export class DataSource {
    transaction<T>(run: (manager: EntityManager) => Promise<T>): Promise<T>;
  }
}
